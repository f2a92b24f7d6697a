import { counterDelta, parsePrometheusText, sumBy } from "../../../bench/scale/promText";

// Lines as kube-apiserver 1.34 serves them on /metrics (HELP/TYPE comments, stability markers, other metrics).
const METRICS = `# HELP apiserver_request_total [STABLE] Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="namespace",subresource="",verb="LIST",version="v1"} 12
apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="binding",verb="POST",version="v1"} 4998
apiserver_request_total{code="200",component="apiserver",dry_run="",group="karpenter.sh",resource="nodeclaims",scope="cluster",subresource="",verb="WATCH",version="v1"} 3
apiserver_request_total{code="409",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="POST",version="v1"} 2
apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="POST",version="v1"} 5e+03
# HELP apiserver_request_duration_seconds [STABLE] Response latency distribution in seconds for each verb.
# TYPE apiserver_request_duration_seconds histogram
apiserver_request_duration_seconds_bucket{component="apiserver",verb="POST",le="+Inf"} 9998
apiserver_flowcontrol_dispatched_requests_total{flow_schema="service-accounts",priority_level="workload-low"} 1234
apiserver_flowcontrol_dispatched_requests_total{flow_schema="exempt",priority_level="exempt"} 70000
`;

describe("parsePrometheusText", () => {
  it("reads one metric's samples with their labels and values, skipping comments and other metrics", () => {
    const s = parsePrometheusText(METRICS, "apiserver_request_total");
    expect(s).toHaveLength(5);
    expect(s[1]).toEqual({
      name: "apiserver_request_total",
      labels: {
        code: "201",
        component: "apiserver",
        dry_run: "",
        group: "",
        resource: "pods",
        scope: "resource",
        subresource: "binding",
        verb: "POST",
        version: "v1",
      },
      value: 4998,
    });
    expect(s[4]!.value).toBe(5000);
  });

  it("sums by verb and by flow schema", () => {
    expect(sumBy(parsePrometheusText(METRICS, "apiserver_request_total"), "verb")).toEqual({
      LIST: 12,
      POST: 9998 + 2,
      WATCH: 3,
    });
    expect(
      sumBy(parsePrometheusText(METRICS, "apiserver_flowcontrol_dispatched_requests_total"), "flow_schema"),
    ).toEqual({ "service-accounts": 1234, exempt: 70000 });
  });

  it("handles escapes and separators inside label values, +Inf, NaN, timestamps, no labels, and skips malformed lines", () => {
    const text = [
      'm{a="x,y}z",b="say \\"hi\\"\\n",c="back\\\\slash"} 1.5 1700000000000',
      "m 7",
      "m{} +Inf",
      'm{a="1"} NaN',
      'm{a="unterminated} 3',
      'm{a="1"} notanumber',
      "m",
      'other{a="1"} 9',
    ].join("\n");
    const s = parsePrometheusText(text, "m");
    expect(s.map((x) => x.labels)).toEqual([{ a: "x,y}z", b: 'say "hi"\n', c: "back\\slash" }, {}, {}, { a: "1" }]);
    expect(s.map((x) => x.value)).toEqual([1.5, 7, Infinity, NaN]);
    expect(parsePrometheusText(text)).toHaveLength(5);
    expect(sumBy(s.slice(0, 2), "a")).toEqual({ "x,y}z": 1.5, "": 7 });
  });
});

describe("counterDelta", () => {
  it("subtracts per key, counting keys new in `after` from 0 and leaving out unchanged ones", () => {
    expect(counterDelta({ GET: 10, LIST: 5, WATCH: 2 }, { GET: 25, LIST: 5, WATCH: 3, POST: 4 })).toEqual({
      GET: 15,
      WATCH: 1,
      POST: 4,
    });
  });
});
