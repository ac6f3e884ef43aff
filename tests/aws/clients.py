"""Stock AWS clients against a running Stratus: boto3 (awsJson1_0), the AWS CLI (awsJson1_0)
and hand-signed awsQuery requests (botocore's SigV4 signer over a form body, as pre-Dec-2025
clients send). Exits non-zero on the first failed check, printing what differed.

Usage: clients.py ENDPOINT_URL ACCESS_KEY SECRET_KEY
"""
import datetime
import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
from botocore.exceptions import ClientError

endpoint, key, secret = sys.argv[1:4]


def client(region="us-east-1", secret_key=secret):
    return boto3.client("cloudwatch", endpoint_url=endpoint, region_name=region,
                        aws_access_key_id=key, aws_secret_access_key=secret_key)


def check(cond, what):
    if not cond:
        print("FAILED:", what, file=sys.stderr)
        sys.exit(1)
    print("ok:", what.split("\n")[0][:100])


def error_of(fn):
    try:
        fn()
    except ClientError as e:
        return e.response
    check(False, "expected an error")


cw = client()
now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
span = dict(StartTime=now - datetime.timedelta(minutes=10), EndTime=now + datetime.timedelta(minutes=5))
dims = [{"Name": "Host", "Value": "web-1"}]

# PutMetricData: all three datum forms, then read back exactly.
cw.put_metric_data(Namespace="Shop", MetricData=[
    {"MetricName": "Latency", "Dimensions": dims, "Timestamp": now, "Value": 10.0, "Unit": "Milliseconds"},
    {"MetricName": "Latency", "Dimensions": dims, "Timestamp": now, "Values": [20.0, 30.0], "Counts": [1.0, 2.0],
     "Unit": "Milliseconds"},
    {"MetricName": "Latency", "Dimensions": dims, "Timestamp": now,
     "StatisticValues": {"SampleCount": 2.0, "Sum": 4.0, "Minimum": 1.0, "Maximum": 3.0}, "Unit": "Milliseconds"},
])
r = cw.get_metric_statistics(Namespace="Shop", MetricName="Latency", Dimensions=dims, Period=60,
                             Statistics=["SampleCount", "Sum", "Minimum", "Maximum", "Average"], **span)
dp = r["Datapoints"]
check(len(dp) == 1, f"one datapoint: {dp}")
d = dp[0]
check((d["SampleCount"], d["Sum"], d["Minimum"], d["Maximum"]) == (6.0, 94.0, 1.0, 30.0), f"statistics exact: {d}")
check(abs(d["Average"] - 94.0 / 6) < 1e-12 and d["Unit"] == "Milliseconds", f"average and unit: {d}")
check(d["Timestamp"] == now, f"timestamp round trip: {d['Timestamp']} vs {now}")
check(r["Label"] == "Latency", "label")
# A statistic set with Minimum != Maximum makes percentiles unavailable for its period (AWS's
# rule), so they are asked of a metric of raw values only.
cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "Raw", "Timestamp": now, "Values": [5.0, 7.0, 9.0]}])
p = cw.get_metric_statistics(Namespace="Shop", MetricName="Raw", Period=60, ExtendedStatistics=["p100"], **span)
p = p["Datapoints"]
check(p and p[0]["ExtendedStatistics"]["p100"] == 9.0, f"extended statistics: {p}")

# GetMetricData: a MetricStat, metric math over it, and a Metrics Insights query.
g = cw.get_metric_data(StartTime=span["StartTime"], EndTime=span["EndTime"], MetricDataQueries=[
    {"Id": "m", "MetricStat": {"Metric": {"Namespace": "Shop", "MetricName": "Latency", "Dimensions": dims},
                               "Period": 60, "Stat": "Sum"}, "ReturnData": False},
    {"Id": "double", "Expression": "m * 2", "Label": "Twice"},
    {"Id": "q", "Expression": 'SELECT MAX(Latency) FROM Shop', "Period": 60},
])
res = {r["Id"]: r for r in g["MetricDataResults"]}
check(set(res) == {"double", "q"}, f"GetMetricData returns the ReturnData results: {list(res)}")
check(res["double"]["Values"] == [188.0] and res["double"]["Timestamps"] == [now] and res["double"]["Label"] == "Twice",
      f"metric math: {res['double']}")
check(res["q"]["Values"] == [30.0] and res["q"]["StatusCode"] == "Complete", f"Metrics Insights: {res['q']}")
e = error_of(lambda: cw.get_metric_data(StartTime=span["StartTime"], EndTime=span["EndTime"],
                                        MetricDataQueries=[{"Id": "bad", "Expression": "nope("}]))
check(e["Error"]["Code"] in ("ValidationError", "InvalidParameterValue"), f"bad expression: {e['Error']}")

metrics = cw.list_metrics(Namespace="Shop")["Metrics"]
check(metrics == [{"Namespace": "Shop", "MetricName": "Latency", "Dimensions": dims},
                  {"Namespace": "Shop", "MetricName": "Raw", "Dimensions": []}], f"list metrics: {metrics}")

# Large bodies are gzip-compressed by boto3 (>= 10 KiB) and must be accepted.
many = [{"MetricName": f"M{i}", "Dimensions": dims, "Timestamp": now, "Value": float(i)} for i in range(400)]
cw.put_metric_data(Namespace="Bulk", MetricData=many)
check(len(cw.list_metrics(Namespace="Bulk")["Metrics"]) == 400, "gzip-compressed PutMetricData (400 datums)")

# Errors, in AWS's codes.
e = error_of(lambda: cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "X", "Value": 1.0, "Values": [1.0]}]))
check(e["Error"]["Code"] == "InvalidParameterCombination" and e["ResponseMetadata"]["HTTPStatusCode"] == 400,
      f"Value+Values: {e['Error']}")
check(e["Error"]["Message"] == "The parameters MetricData.member.1.Value and MetricData.member.1.Values are "
      "mutually exclusive and you have specified both.", "AWS's wording")
e = error_of(lambda: cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "X", "Value": float("nan")}]))
check(e["Error"]["Code"] == "InvalidParameterValue", f"NaN refused: {e['Error']}")
e = error_of(lambda: cw.get_metric_statistics(Namespace="Shop", MetricName="Latency", Period=7, Statistics=["Sum"], **span))
check(e["Error"]["Code"] == "InvalidParameterValue", f"bad period: {e['Error']}")

# Dashboards.
body = json.dumps({"widgets": [{"type": "text", "x": 0, "y": 0, "width": 6, "height": 3,
                                "properties": {"markdown": "hi"}}]})
cw.put_dashboard(DashboardName="ops", DashboardBody=body)
g = cw.get_dashboard(DashboardName="ops")
check(g["DashboardBody"] == body and g["DashboardArn"].endswith(":dashboard/ops"), f"get dashboard: {g}")
entries = cw.list_dashboards(DashboardNamePrefix="o")["DashboardEntries"]
check([x["DashboardName"] for x in entries] == ["ops"] and entries[0]["Size"] == len(body), f"list: {entries}")
arn = g["DashboardArn"]
cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "team", "Value": "ops"}, {"Key": "env", "Value": "prod"}])
cw.untag_resource(ResourceARN=arn, TagKeys=["env"])
tags = cw.list_tags_for_resource(ResourceARN=arn)["Tags"]
check(tags == [{"Key": "team", "Value": "ops"}], f"tags: {tags}")
e = error_of(lambda: cw.list_tags_for_resource(ResourceARN=arn.replace(":dashboard/ops", ":dashboard/nope")))
check(e["Error"]["Code"] == "ResourceNotFoundException", f"tags of a missing dashboard: {e['Error']}")
e = error_of(lambda: cw.tag_resource(ResourceARN="not-an-arn", Tags=[{"Key": "a", "Value": "b"}]))
check(e["Error"]["Code"] == "InvalidParameterValue", f"malformed ARN: {e['Error']}")
e = error_of(lambda: cw.put_dashboard(DashboardName="bad", DashboardBody='{"widgets": {}}'))
check(e["Error"]["Code"] == "InvalidParameterInput", f"invalid body: {e['Error']}")
cw.delete_dashboards(DashboardNames=["ops"])
e = error_of(lambda: cw.get_dashboard(DashboardName="ops"))
check(e["Error"]["Code"] == "ResourceNotFound" and e["ResponseMetadata"]["HTTPStatusCode"] == 404, f"deleted: {e}")

# Alarms. Each metric alarm here watches a metric without data and treats missing data as
# `ignore`, so the server's own evaluations (every minute) keep whatever state it is in and the
# checks below cannot race them.
alarm_dims = [{"Name": "Host", "Value": "quiet-1"}]
cw.put_metric_alarm(AlarmName="cpu-high", AlarmDescription="CPU too high", MetricName="CPU", Namespace="Quiet",
                    Dimensions=alarm_dims, Statistic="Average", Period=60, EvaluationPeriods=3, DatapointsToAlarm=2,
                    Threshold=80.5, ComparisonOperator="GreaterThanThreshold", TreatMissingData="ignore",
                    Unit="Percent", AlarmActions=["arn:aws:sns:us-east-1:123456789012:page"],
                    OKActions=["arn:aws:sns:us-east-1:123456789012:calm"], Tags=[{"Key": "team", "Value": "core"}])
cw.put_metric_alarm(AlarmName="ratio", EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold",
                    TreatMissingData="ignore", Metrics=[
                        {"Id": "e", "MetricStat": {"Metric": {"Namespace": "Quiet", "MetricName": "Errors"},
                                                   "Period": 60, "Stat": "Sum"}, "ReturnData": False},
                        {"Id": "r", "Expression": "e * 2", "Label": "twice"}])
d = cw.describe_alarms(AlarmNames=["cpu-high", "ratio"])
alarms = {a["AlarmName"]: a for a in d["MetricAlarms"]}
check(set(alarms) == {"cpu-high", "ratio"} and d["CompositeAlarms"] == [], f"describe_alarms: {d}")
a = alarms["cpu-high"]
check(a["AlarmArn"] == "arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu-high", f"alarm ARN: {a['AlarmArn']}")
check((a["StateValue"], a["StateReason"]) == ("INSUFFICIENT_DATA", "Unchecked: Initial alarm creation"),
      f"a new alarm is INSUFFICIENT_DATA: {a}")
check((a["Namespace"], a["MetricName"], a["Dimensions"], a["Statistic"], a["Period"], a["Unit"]) ==
      ("Quiet", "CPU", alarm_dims, "Average", 60, "Percent"), f"metric members: {a}")
check((a["EvaluationPeriods"], a["DatapointsToAlarm"], a["Threshold"], a["ComparisonOperator"], a["TreatMissingData"])
      == (3, 2, 80.5, "GreaterThanThreshold", "ignore"), f"evaluation members: {a}")
check(a["AlarmActions"] == ["arn:aws:sns:us-east-1:123456789012:page"] and a["InsufficientDataActions"] == []
      and a["OKActions"] == ["arn:aws:sns:us-east-1:123456789012:calm"] and a["ActionsEnabled"] is True,
      f"actions: {a}")
check(isinstance(a["AlarmConfigurationUpdatedTimestamp"], datetime.datetime)
      and abs((a["StateUpdatedTimestamp"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) < 300
      and isinstance(a["StateTransitionedTimestamp"], datetime.datetime), f"timestamps: {a}")
r = alarms["ratio"]
check([m["Id"] for m in r["Metrics"]] == ["e", "r"] and r["Metrics"][0]["ReturnData"] is False
      and r["Metrics"][1]["ReturnData"] is True and r["Metrics"][1]["Expression"] == "e * 2"
      and r["Metrics"][0]["MetricStat"]["Stat"] == "Sum", f"metric-math alarm: {r['Metrics']}")
m = cw.describe_alarms_for_metric(MetricName="CPU", Namespace="Quiet", Dimensions=alarm_dims)["MetricAlarms"]
check([x["AlarmName"] for x in m] == ["cpu-high"], f"describe_alarms_for_metric: {m}")
check(cw.describe_alarms_for_metric(MetricName="CPU", Namespace="Quiet")["MetricAlarms"] == [],
      "describe_alarms_for_metric wants the exact dimensions")

cw.set_alarm_state(AlarmName="cpu-high", StateValue="ALARM", StateReason="testing the pager",
                   StateReasonData='{"source": "clients.py"}')
a = cw.describe_alarms(AlarmNames=["cpu-high"])["MetricAlarms"][0]
check((a["StateValue"], a["StateReason"], json.loads(a["StateReasonData"])) ==
      ("ALARM", "testing the pager", {"source": "clients.py"}), f"set_alarm_state: {a}")
check([x["AlarmName"] for x in cw.describe_alarms(StateValue="ALARM")["MetricAlarms"]] == ["cpu-high"],
      "describe_alarms by StateValue")
h = cw.describe_alarm_history(AlarmName="cpu-high")["AlarmHistoryItems"]
kinds = [x["HistoryItemType"] for x in h]
check(kinds == ["StateUpdate", "ConfigurationUpdate"], f"history, newest first: {kinds}")
data = json.loads(h[0]["HistoryData"])
check(h[0]["HistorySummary"] == "Alarm updated from INSUFFICIENT_DATA to ALARM" and h[0]["AlarmType"] == "MetricAlarm"
      and data["oldState"]["stateValue"] == "INSUFFICIENT_DATA" and data["newState"]["stateValue"] == "ALARM"
      and data["newState"]["stateReason"] == "testing the pager", f"StateUpdate item: {h[0]}")
check(isinstance(json.loads(h[1]["HistoryData"]), dict) and isinstance(h[1]["Timestamp"], datetime.datetime),
      f"ConfigurationUpdate item: {h[1]}")
h = cw.describe_alarm_history(AlarmName="cpu-high", HistoryItemType="ConfigurationUpdate", ScanBy="TimestampAscending")
check([x["HistoryItemType"] for x in h["AlarmHistoryItems"]] == ["ConfigurationUpdate"], "history by item type")

cw.put_composite_alarm(AlarmName="both", AlarmRule="ALARM(cpu-high) OR ALARM(\"ratio\")",
                       AlarmActions=["arn:aws:sns:us-east-1:123456789012:page"])
check(cw.describe_alarms(AlarmNames=["both"])["CompositeAlarms"] == [], "without AlarmTypes only metric alarms")
c = cw.describe_alarms(AlarmNames=["both"], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
check(len(c) == 1 and c[0]["StateValue"] == "ALARM" and c[0]["AlarmRule"] == "ALARM(cpu-high) OR ALARM(\"ratio\")",
      f"composite alarm follows its child: {c}")
kids = cw.describe_alarms(ChildrenOfAlarmName="both")
check(sorted(x["AlarmName"] for x in kids["MetricAlarms"]) == ["cpu-high", "ratio"] and
      all(set(x) == {"AlarmName", "AlarmArn", "StateValue", "StateUpdatedTimestamp"} for x in kids["MetricAlarms"]),
      f"ChildrenOfAlarmName: reduced records: {kids['MetricAlarms']}")
parents = cw.describe_alarms(ParentsOfAlarmName="cpu-high")
check([set(x) for x in parents["CompositeAlarms"]] == [{"AlarmName", "AlarmArn"}]
      and parents["CompositeAlarms"][0]["AlarmName"] == "both", f"ParentsOfAlarmName: {parents['CompositeAlarms']}")

cw.disable_alarm_actions(AlarmNames=["cpu-high", "both"])
check(cw.describe_alarms(AlarmNames=["cpu-high"])["MetricAlarms"][0]["ActionsEnabled"] is False, "actions disabled")
cw.enable_alarm_actions(AlarmNames=["cpu-high"])
check(cw.describe_alarms(AlarmNames=["cpu-high"])["MetricAlarms"][0]["ActionsEnabled"] is True, "actions enabled")

alarm_arn = a["AlarmArn"]
check(cw.list_tags_for_resource(ResourceARN=alarm_arn)["Tags"] == [{"Key": "team", "Value": "core"}],
      "tags given at creation")
cw.tag_resource(ResourceARN=alarm_arn, Tags=[{"Key": "env", "Value": "prod"}])
cw.untag_resource(ResourceARN=alarm_arn, TagKeys=["team"])
check(cw.list_tags_for_resource(ResourceARN=alarm_arn)["Tags"] == [{"Key": "env", "Value": "prod"}], "alarm tags")
e = error_of(lambda: cw.list_tags_for_resource(ResourceARN=alarm_arn.replace(":cpu-high", ":nope")))
check(e["Error"]["Code"] == "ResourceNotFoundException" and e["ResponseMetadata"]["HTTPStatusCode"] == 404,
      f"tags of a missing alarm: {e['Error']}")

# Alarm errors, in AWS's codes.
base = dict(MetricName="CPU", Namespace="Quiet", EvaluationPeriods=1, Threshold=1.0,
            ComparisonOperator="GreaterThanThreshold")
e = error_of(lambda: cw.put_metric_alarm(AlarmName="bad", Statistic="Sum", Period=7, **base))
check(e["Error"]["Code"] == "InvalidParameterValue" and "Period" in e["Error"]["Message"], f"bad period: {e['Error']}")
e = error_of(lambda: cw.put_metric_alarm(AlarmName="bad", Statistic="Sum", ExtendedStatistic="p99", Period=60, **base))
check(e["Error"]["Code"] == "InvalidParameterCombination", f"Statistic and ExtendedStatistic: {e['Error']}")
e = error_of(lambda: cw.put_metric_alarm(AlarmName="bad", Statistic="Sum", Period=60, Unit="Furlongs", **base))
check(e["Error"]["Code"] == "InvalidParameterValue" and "Unit" in e["Error"]["Message"], f"bad unit: {e['Error']}")
e = error_of(lambda: cw.put_composite_alarm(AlarmName="bad", AlarmRule="ALARM(cpu-high"))
check(e["Error"]["Code"] == "ValidationError", f"bad rule syntax: {e['Error']}")
e = error_of(lambda: cw.set_alarm_state(AlarmName="nope", StateValue="OK", StateReason="x"))
check(e["Error"]["Code"] == "ResourceNotFound" and e["ResponseMetadata"]["HTTPStatusCode"] == 404
      and e["ResponseMetadata"]["HTTPHeaders"]["x-amzn-query-error"] == "ResourceNotFound;Sender",
      f"SetAlarmState on a missing alarm: {e}")
e = error_of(lambda: cw.set_alarm_state(AlarmName="cpu-high", StateValue="PANIC", StateReason="x"))
check(e["Error"]["Code"] == "ValidationError" and "stateValue" in e["Error"]["Message"], f"bad StateValue: {e['Error']}")
e = error_of(lambda: cw.set_alarm_state(AlarmName="cpu-high", StateValue="OK", StateReason="x",
                                        StateReasonData="{not json"))
check(e["Error"]["Code"] == "InvalidFormat", f"StateReasonData not JSON: {e['Error']}")

cw.delete_alarms(AlarmNames=["both"])
cw.delete_alarms(AlarmNames=["cpu-high", "ratio"])
d = cw.describe_alarms(AlarmTypes=["MetricAlarm", "CompositeAlarm"])
check(d["MetricAlarms"] == [] and d["CompositeAlarms"] == [], f"delete_alarms: {d}")
h = cw.describe_alarm_history(AlarmName="cpu-high")["AlarmHistoryItems"]
check(h[0]["HistoryItemType"] == "ConfigurationUpdate" and len(h) >= 3, f"history outlives the alarm: {h[:1]}")

# Authentication and scoping.
e = error_of(lambda: client(secret_key="wrong").list_metrics())
check(e["Error"]["Code"] == "SignatureDoesNotMatch" and e["ResponseMetadata"]["HTTPStatusCode"] == 403,
      f"wrong secret: {e['Error']}")
req = urllib.request.Request(endpoint + "/", data=b"{}", method="POST", headers={
    "X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics", "Content-Type": "application/x-amz-json-1.0"})
try:
    urllib.request.urlopen(req, timeout=10)
    check(False, "unsigned request accepted")
except urllib.error.HTTPError as h:
    check(h.code == 403 and h.headers["x-amzn-query-error"].startswith("MissingAuthenticationToken"),
          f"unsigned request refused: {h.code} {dict(h.headers)}")
check(client(region="eu-west-1").list_metrics()["Metrics"] == [], "another region sees nothing")

# awsQuery: a form body signed with botocore's own SigV4 signer, XML back.
def query(params):
    data = urllib.parse.urlencode(dict(params, Version="2010-08-01")).encode()
    areq = botocore.awsrequest.AWSRequest(method="POST", url=endpoint + "/", data=data,
                                          headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), "monitoring", "us-east-1").add_auth(areq)
    prepared = areq.prepare()
    r = urllib.request.Request(prepared.url, data=data, method="POST", headers=dict(prepared.headers))
    try:
        with urllib.request.urlopen(r, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as h:
        return h.code, h.read().decode()

ns = "{http://monitoring.amazonaws.com/doc/2010-08-01/}"
status, xml = query({"Action": "ListMetrics", "Namespace": "Shop"})
root = ET.fromstring(xml)
names = [m.text for m in root.iter(ns + "MetricName")]
check(status == 200 and names == ["Latency", "Raw"], f"awsQuery ListMetrics: {status} {xml[:300]}")
status, xml = query({"Action": "GetMetricStatistics", "Namespace": "Shop", "MetricName": "Latency", "Period": "60",
                     "Dimensions.member.1.Name": "Host", "Dimensions.member.1.Value": "web-1",
                     "Statistics.member.1": "Sum", "StartTime": span["StartTime"].strftime("%Y-%m-%dT%H:%M:%SZ"),
                     "EndTime": span["EndTime"].strftime("%Y-%m-%dT%H:%M:%SZ")})
sums = [float(s.text) for s in ET.fromstring(xml).iter(ns + "Sum")]
check(status == 200 and sums == [94.0], f"awsQuery GetMetricStatistics: {status} {xml[:400]}")
status, xml = query({"Action": "PutMetricData", "Namespace": "Shop",
                     "MetricData.member.1.MetricName": "X", "MetricData.member.1.Value": "1",
                     "MetricData.member.1.Values.member.1": "2"})
check(status == 400 and "<Code>InvalidParameterCombination</Code>" in xml, f"awsQuery error: {status} {xml}")

# The AWS CLI (a separate program, its own argument parsing), as the README tour uses it.
env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION="us-east-1")
aws = [os.path.join(os.path.dirname(sys.executable), "aws"), "--endpoint-url", endpoint, "cloudwatch"]
subprocess.run(aws + ["put-metric-data", "--namespace", "Cli", "--metric-name", "Hits", "--value", "5",
                      "--timestamp", now.strftime("%Y-%m-%dT%H:%M:%SZ")], env=env, check=True, timeout=60)
out = subprocess.run(aws + ["get-metric-statistics", "--namespace", "Cli", "--metric-name", "Hits", "--period", "60",
                            "--statistics", "Sum", "--start-time", span["StartTime"].strftime("%Y-%m-%dT%H:%M:%SZ"),
                            "--end-time", span["EndTime"].strftime("%Y-%m-%dT%H:%M:%SZ")],
                     env=env, check=True, capture_output=True, text=True, timeout=60).stdout
check([p["Sum"] for p in json.loads(out)["Datapoints"]] == [5.0], f"AWS CLI round trip: {out}")
cli_alarm = ["--alarm-name", "cli-alarm"]
subprocess.run(aws + ["put-metric-alarm"] + cli_alarm + [
    "--namespace", "Cli", "--metric-name", "Quiet", "--statistic", "Sum", "--period", "60",
    "--evaluation-periods", "1", "--threshold", "1", "--comparison-operator", "GreaterThanThreshold",
    "--treat-missing-data", "ignore"], env=env, check=True, timeout=60)
subprocess.run(aws + ["set-alarm-state"] + cli_alarm + ["--state-value", "ALARM", "--state-reason", "from the CLI"],
               env=env, check=True, timeout=60)
out = subprocess.run(aws + ["describe-alarms", "--alarm-names", "cli-alarm"], env=env, check=True,
                     capture_output=True, text=True, timeout=60).stdout
a = json.loads(out)["MetricAlarms"]
check([(x["AlarmName"], x["StateValue"], x["StateReason"]) for x in a] == [("cli-alarm", "ALARM", "from the CLI")],
      f"AWS CLI alarms: {out}")
out = subprocess.run(aws + ["describe-alarm-history"] + cli_alarm, env=env, check=True,
                     capture_output=True, text=True, timeout=60).stdout
check([x["HistoryItemType"] for x in json.loads(out)["AlarmHistoryItems"]] == ["StateUpdate", "ConfigurationUpdate"],
      f"AWS CLI alarm history: {out}")
print("all client checks passed")
