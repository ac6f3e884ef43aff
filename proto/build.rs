//! Compiles `stratus/v1/*.proto` with protox (a pure-Rust protobuf compiler), so a fresh
//! machine needs no system `protoc`. The encoded descriptor set is written next to the
//! generated code for gRPC server reflection.

use prost::Message as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=stratus");
    let fds = protox::compile(["stratus/v1/metrics.proto"], ["."])?;
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("stratus_descriptor.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .type_attribute(".", "#[allow(clippy::all)]")
        .compile_fds(fds)?;
    Ok(())
}
