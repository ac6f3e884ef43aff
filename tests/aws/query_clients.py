"""boto3 from before CloudWatch's JSON switch (botocore <= 1.42.6 knows only awsQuery for
CloudWatch) against a running Stratus: the same operations in form-encoded requests and XML
answers. Exits non-zero on the first failed check.

Usage: query_clients.py ENDPOINT_URL ACCESS_KEY SECRET_KEY
"""
import datetime
import json
import sys

import boto3
import botocore
from botocore.exceptions import ClientError

endpoint, key, secret = sys.argv[1:4]
cw = boto3.client("cloudwatch", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id=key, aws_secret_access_key=secret)


def check(cond, what):
    if not cond:
        print("FAILED:", what, file=sys.stderr)
        sys.exit(1)
    print("ok:", what.split("\n")[0][:100])


check(cw.meta.service_model.protocol == "query", f"botocore {botocore.__version__} speaks awsQuery")
now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
span = dict(StartTime=now - datetime.timedelta(minutes=10), EndTime=now + datetime.timedelta(minutes=5))
dims = [{"Name": "Host", "Value": "q-1"}]
cw.put_metric_data(Namespace="Query", MetricData=[
    {"MetricName": "Hits", "Dimensions": dims, "Timestamp": now, "Values": [1.0, 5.0], "Counts": [2.0, 1.0]},
    {"MetricName": "Hits", "Dimensions": dims, "Timestamp": now,
     "StatisticValues": {"SampleCount": 1.0, "Sum": 0.5, "Minimum": 0.5, "Maximum": 0.5}},
])
r = cw.get_metric_statistics(Namespace="Query", MetricName="Hits", Dimensions=dims, Period=60,
                             Statistics=["SampleCount", "Sum", "Maximum"], **span)
d = r["Datapoints"]
check(len(d) == 1 and (d[0]["SampleCount"], d[0]["Sum"], d[0]["Maximum"]) == (4.0, 7.5, 5.0)
      and d[0]["Timestamp"] == now, f"statistics over awsQuery: {d}")
m = cw.list_metrics(Namespace="Query")["Metrics"]
check(m == [{"Namespace": "Query", "MetricName": "Hits", "Dimensions": dims}], f"list over awsQuery: {m}")
g = cw.get_metric_data(MetricDataQueries=[{"Id": "s", "MetricStat": {
    "Metric": {"Namespace": "Query", "MetricName": "Hits", "Dimensions": dims}, "Period": 60, "Stat": "Sum"}}], **span)
res = g["MetricDataResults"][0]
check(res["Values"] == [7.5] and res["Timestamps"] == [now], f"GetMetricData over awsQuery: {res}")
cw.put_dashboard(DashboardName="q", DashboardBody=json.dumps({"widgets": []}))
g = cw.get_dashboard(DashboardName="q")
check(g["DashboardBody"] == '{"widgets": []}', "dashboard over awsQuery")
check([e["DashboardName"] for e in cw.list_dashboards()["DashboardEntries"]] == ["q"], "list dashboards over awsQuery")
cw.tag_resource(ResourceARN=g["DashboardArn"], Tags=[{"Key": "k", "Value": "v"}])
check(cw.list_tags_for_resource(ResourceARN=g["DashboardArn"])["Tags"] == [{"Key": "k", "Value": "v"}],
      "tags over awsQuery")
cw.untag_resource(ResourceARN=g["DashboardArn"], TagKeys=["k"])
check(cw.list_tags_for_resource(ResourceARN=g["DashboardArn"])["Tags"] == [], "untag over awsQuery")
cw.delete_dashboards(DashboardNames=["q"])
check(cw.list_dashboards()["DashboardEntries"] == [], "delete dashboards over awsQuery")
try:
    cw.put_metric_data(Namespace="Query", MetricData=[{"MetricName": "X", "Values": [1.0, 2.0], "Counts": [1.0]}])
    check(False, "mismatched Counts accepted")
except ClientError as e:
    check(e.response["Error"]["Code"] == "InvalidParameterValue" and e.response["Error"]["Message"] ==
          "The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of the same size.",
          f"awsQuery error: {e.response['Error']}")

# Alarms over awsQuery. The alarm watches a metric without data and treats missing data as
# `ignore`, so the server's minute evaluations keep the state set below.
cw.put_metric_alarm(AlarmName="q-alarm", MetricName="Silent", Namespace="Query", Dimensions=dims, Statistic="Maximum",
                    Period=60, EvaluationPeriods=2, Threshold=3.5, ComparisonOperator="LessThanThreshold",
                    TreatMissingData="ignore", OKActions=["arn:aws:sns:us-east-1:123456789012:ok"])
a = cw.describe_alarms(AlarmNames=["q-alarm"])["MetricAlarms"]
check(len(a) == 1 and (a[0]["StateValue"], a[0]["Threshold"], a[0]["Period"], a[0]["Dimensions"], a[0]["OKActions"])
      == ("INSUFFICIENT_DATA", 3.5, 60, dims, ["arn:aws:sns:us-east-1:123456789012:ok"])
      and a[0]["AlarmActions"] == [] and isinstance(a[0]["StateUpdatedTimestamp"], datetime.datetime),
      f"describe_alarms over awsQuery: {a}")
cw.set_alarm_state(AlarmName="q-alarm", StateValue="ALARM", StateReason="over awsQuery")
a = cw.describe_alarms(AlarmNames=["q-alarm"])["MetricAlarms"][0]
check((a["StateValue"], a["StateReason"]) == ("ALARM", "over awsQuery"), f"set_alarm_state over awsQuery: {a}")
h = cw.describe_alarm_history(AlarmName="q-alarm")["AlarmHistoryItems"]
check([x["HistoryItemType"] for x in h] == ["StateUpdate", "ConfigurationUpdate"]
      and json.loads(h[0]["HistoryData"])["newState"]["stateValue"] == "ALARM"
      and isinstance(h[0]["Timestamp"], datetime.datetime), f"describe_alarm_history over awsQuery: {h}")
cw.put_composite_alarm(AlarmName="q-composite", AlarmRule="ALARM(q-alarm)")
c = cw.describe_alarms(AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
check([(x["AlarmName"], x["StateValue"]) for x in c] == [("q-composite", "ALARM")], f"composite over awsQuery: {c}")
kids = cw.describe_alarms(ChildrenOfAlarmName="q-composite")["MetricAlarms"]
check([(x["AlarmName"], x["StateValue"]) for x in kids] == [("q-alarm", "ALARM")] and "Threshold" not in kids[0],
      f"ChildrenOfAlarmName over awsQuery: {kids}")
try:
    cw.set_alarm_state(AlarmName="nope", StateValue="OK", StateReason="x")
    check(False, "SetAlarmState on a missing alarm accepted")
except ClientError as e:
    check(e.response["Error"]["Code"] == "ResourceNotFound" and e.response["ResponseMetadata"]["HTTPStatusCode"] == 404,
          f"awsQuery ResourceNotFound: {e.response}")
try:
    cw.put_metric_alarm(AlarmName="bad", MetricName="m", Namespace="Query", Statistic="Sum", Period=45,
                        EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold")
    check(False, "Period 45 accepted")
except ClientError as e:
    check(e.response["Error"]["Code"] == "InvalidParameterValue" and "Period" in e.response["Error"]["Message"],
          f"awsQuery bad period: {e.response['Error']}")
cw.delete_alarms(AlarmNames=["q-composite", "q-alarm"])
d = cw.describe_alarms(AlarmTypes=["MetricAlarm", "CompositeAlarm"])
check(d["MetricAlarms"] == [] and d["CompositeAlarms"] == [], f"delete_alarms over awsQuery: {d}")
print("all awsQuery client checks passed")
