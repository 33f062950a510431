package metrics_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fangxian/fangxian/shared/metrics"
)

// TestEmbeddedMetricFormat: each figure is one JSON line that CloudWatch
// reads as a metric: the directive names the namespace, the dimensions
// present on the line, and the metric whose value the line holds.
func TestEmbeddedMetricFormat(t *testing.T) {
	var out bytes.Buffer
	metrics.Out, metrics.Now = &out, func() time.Time { return time.UnixMilli(1764460800000) }
	t.Setenv("STAGE", "prod")
	cases := []struct {
		emit  func()
		name  string
		value float64
		unit  string
		dims  [][]string
		extra map[string]string
	}{
		{func() { metrics.Count(metrics.Bookings, 3) }, "Bookings", 3, "Count", [][]string{{"Stage"}}, nil},
		{func() { metrics.Count(metrics.SMSParts, 2, "Purpose", "notice") }, "SMSParts", 2, "Count", [][]string{{"Stage"}, {"Stage", "Purpose"}},
			map[string]string{"Purpose": "notice"}},
		{func() { metrics.Seconds(metrics.HelpResponse, 90*time.Second, "Kind", "childbirth") }, "HelpResponseSeconds", 90, "Seconds",
			[][]string{{"Stage"}, {"Stage", "Kind"}}, map[string]string{"Kind": "childbirth"}},
	}
	for _, c := range cases {
		out.Reset()
		c.emit()
		if strings.Count(out.String(), "\n") != 1 {
			t.Fatalf("%s: not one line: %q", c.name, out.String())
		}
		var line map[string]any
		if err := json.Unmarshal(out.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		var aws struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		}
		b, _ := json.Marshal(line["_aws"])
		if err := json.Unmarshal(b, &aws); err != nil {
			t.Fatal(err)
		}
		d := aws.CloudWatchMetrics[0]
		if aws.Timestamp != 1764460800000 || d.Namespace != "Fangxian" || d.Metrics[0].Name != c.name || d.Metrics[0].Unit != c.unit ||
			line[c.name] != c.value || line["Stage"] != "prod" {
			t.Errorf("%s: %s", c.name, out.String())
		}
		if len(d.Dimensions) != len(c.dims) {
			t.Errorf("%s: dimensions %v, want %v", c.name, d.Dimensions, c.dims)
		}
		for k, v := range c.extra {
			if line[k] != v {
				t.Errorf("%s: %s=%v, want %s", c.name, k, line[k], v)
			}
		}
	}
}
