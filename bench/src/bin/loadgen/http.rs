//! A minimal HTTP/1.1 client over one keep-alive `TcpStream`: enough for VictoriaMetrics'
//! import, query and admin endpoints on loopback, without pulling an HTTP client stack into the
//! workspace. Handles `Content-Length`, chunked and close-delimited response bodies; reconnects
//! once when a reused connection turns out to be closed.

use anyhow::{Context, Result, anyhow, bail};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// One response: status and body.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

impl Response {
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A keep-alive connection to `authority` (`host:port`).
#[derive(Debug)]
pub(crate) struct HttpConn {
    authority: String,
    stream: Option<BufReader<TcpStream>>,
}

impl HttpConn {
    /// `endpoint` is `http://host:port` (a trailing `/` or path is ignored).
    pub(crate) fn new(endpoint: &str) -> Result<Self> {
        let rest =
            endpoint.strip_prefix("http://").ok_or_else(|| anyhow!("endpoint {endpoint:?} must start with http://"))?;
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.is_empty() {
            bail!("endpoint {endpoint:?} has no host");
        }
        Ok(HttpConn { authority: authority.to_owned(), stream: None })
    }

    pub(crate) async fn get(&mut self, path_and_query: &str) -> Result<Response> {
        self.request("GET", path_and_query, None, b"").await
    }

    pub(crate) async fn post(&mut self, path: &str, content_type: &str, body: &[u8]) -> Result<Response> {
        self.request("POST", path, Some(content_type), body).await
    }

    async fn request(&mut self, method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> Result<Response> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.authority);
        if let Some(ct) = content_type {
            head.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        if method != "GET" || !body.is_empty() {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");

        let reused = self.stream.is_some();
        match self.round_trip(method, head.as_bytes(), body).await {
            Ok(r) => Ok(r),
            // A kept-alive connection the server closed meanwhile: retry once on a new one.
            Err(_) if reused => {
                self.stream = None;
                self.round_trip(method, head.as_bytes(), body).await
            }
            Err(e) => {
                self.stream = None;
                Err(e)
            }
        }
    }

    async fn round_trip(&mut self, method: &str, head: &[u8], body: &[u8]) -> Result<Response> {
        if self.stream.is_none() {
            let tcp = TcpStream::connect(&self.authority)
                .await
                .with_context(|| format!("connecting to {}", self.authority))?;
            tcp.set_nodelay(true)?;
            self.stream = Some(BufReader::with_capacity(64 * 1024, tcp));
        }
        let stream = self.stream.as_mut().expect("connected above");
        let result = exchange(stream, method, head, body).await;
        match result {
            Ok((response, keep_alive)) => {
                if !keep_alive {
                    self.stream = None;
                }
                Ok(response)
            }
            Err(e) => {
                self.stream = None;
                Err(e)
            }
        }
    }
}

async fn exchange(
    stream: &mut BufReader<TcpStream>,
    method: &str,
    head: &[u8],
    body: &[u8],
) -> Result<(Response, bool)> {
    {
        let w = stream.get_mut();
        w.write_all(head).await?;
        w.write_all(body).await?;
        w.flush().await?;
    }
    let mut line = String::new();
    if stream.read_line(&mut line).await? == 0 {
        bail!("connection closed before a response");
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("bad status line {line:?}"))?;
    let mut content_length: Option<usize> = None;
    let mut chunked = false;
    let mut keep_alive = line.starts_with("HTTP/1.1");
    loop {
        line.clear();
        if stream.read_line(&mut line).await? == 0 {
            bail!("connection closed inside response headers");
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => content_length = Some(value.parse().context("bad Content-Length")?),
            "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
            "connection" => keep_alive = !value.eq_ignore_ascii_case("close"),
            _ => {}
        }
    }
    let mut body_out = Vec::new();
    let no_body = method == "HEAD" || status == 204 || status == 304 || (100..200).contains(&status);
    if no_body {
    } else if chunked {
        loop {
            line.clear();
            stream.read_line(&mut line).await?;
            let size_text = line.trim().split(';').next().unwrap_or_default();
            let size = usize::from_str_radix(size_text, 16).with_context(|| format!("bad chunk size {line:?}"))?;
            if size == 0 {
                // Trailers until the empty line.
                loop {
                    line.clear();
                    if stream.read_line(&mut line).await? == 0 || line.trim().is_empty() {
                        break;
                    }
                }
                break;
            }
            let start = body_out.len();
            body_out.resize(start + size, 0);
            stream.read_exact(&mut body_out[start..]).await?;
            let mut crlf = [0u8; 2];
            stream.read_exact(&mut crlf).await?;
        }
    } else if let Some(n) = content_length {
        body_out.resize(n, 0);
        stream.read_exact(&mut body_out).await?;
    } else {
        stream.read_to_end(&mut body_out).await?;
        keep_alive = false;
    }
    Ok((Response { status, body: body_out }, keep_alive))
}

/// Percent-encodes a query-string component (everything but RFC 3986 unreserved characters).
pub(crate) fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[test]
    fn encodes_query_components() {
        assert_eq!(encode_component("max_over_time(a{b=\"c\"}[1m])"), "max_over_time%28a%7Bb%3D%22c%22%7D%5B1m%5D%29");
    }

    #[tokio::test]
    async fn reads_length_chunked_and_no_content_bodies_on_one_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut reader = BufReader::new(&mut sock);
            let replies: [&[u8]; 3] = [
                b"HTTP/1.1 204 No Content\r\n\r\n",
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            ];
            for reply in replies {
                let mut len = 0usize;
                let mut line = String::new();
                loop {
                    line.clear();
                    reader.read_line(&mut line).await.unwrap();
                    if line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; len];
                reader.read_exact(&mut body).await.unwrap();
                reader.get_mut().write_all(reply).await.unwrap();
            }
        });
        let mut conn = HttpConn::new(&format!("http://{addr}/")).unwrap();
        let r = conn.post("/api/v1/import", "application/json", b"{\"a\":1}\n").await.unwrap();
        assert_eq!((r.status, r.body.len()), (204, 0));
        let r = conn.get("/x").await.unwrap();
        assert_eq!((r.status, r.text().as_str()), (200, "hello"));
        let r = conn.get("/y").await.unwrap();
        assert_eq!(r.text(), "abcde");
        server.await.unwrap();
    }
}
