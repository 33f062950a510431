package scenario

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestEveryCountHasItsChinese: each phase and count the run records is
// said in Chinese in the committee's report.
func TestEveryCountHasItsChinese(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	words := regexp.MustCompile(`r\.count\("([^"]+)"|\{"([^"]+)", r\.`)
	seen := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range words.FindAllStringSubmatch(string(b), -1) {
			seen++
			w := strings.TrimSpace(m[1] + m[2])
			if w == "steps" {
				continue // counted with its status: "steps done" and so on
			}
			if _, ok := zhWords[w]; !ok {
				t.Errorf("%s: %q has no Chinese", f, w)
			}
		}
	}
	if seen < 30 {
		t.Fatalf("found %d counts and phases: the pattern no longer finds them", seen)
	}
}

// TestTheReportIsTheCommittees: in Chinese, in Beijing time, sites by
// name, no program values; its English copy says the same.
func TestTheReportIsTheCommittees(t *testing.T) {
	at := time.Date(2026, 12, 6, 12, 39, 8, 0, time.UTC)
	r := &Report{StartedAt: at, FinishedAt: at.Add(222 * time.Second), Speed: 60, Community: "community-demo", RunID: "run1",
		Phases:     []Phase{{Name: "residents sampled", Seconds: 50, Counts: map[string]int{"buildings called": 40, "sampled at the door": 196}}},
		SiteClosed: SiteClosed{Site: "东门采样点", AtScenario: "07:39", Moved: 1744},
		Field:      Field{Residents: 300, Done: 298, DoneShare: 298.0 / 300, Reasons: map[string]int{"away": 3, "refused": 1}, Sites: []SiteSummary{{SiteID: "r1-s1", Site: "西门采样点", Lanes: 10}}},
		Queues:     []SlotQueue{{Starts: "21:09", Site: "西门采样点", Booked: 391, Capacity: 400}},
		Invariants: []Invariant{{Name: "no 5xx answer", NameZH: "没有 5xx 服务器错误", Held: true, Detail: "0", DetailZH: "0 次"}},
		Cost:       &Cost{Invocations: map[string]int64{"booking": 3, "auth": 2}},
	}
	var zh, en strings.Builder
	r.Markdown(&zh, Chinese)
	r.Markdown(&en, English)
	for _, want := range []string{"# 疫情中的一天（回放）", "北京时间 2026-12-06 20:39:08 至 20:42:50", "东门采样点", "居民采样", "叫楼楼栋 40", "外出 3、拒绝 1",
		"参与住户 300 人中 298 人（99.3%）", "没有 5xx 服务器错误", "Lambda 调用（auth 2、booking 3）"} {
		if !strings.Contains(zh.String(), want) {
			t.Errorf("the Chinese report lacks %q", want)
		}
	}
	for _, want := range []string{"# A day of the outbreak, replayed", "Beijing time 2026-12-06 20:39:08", "buildings called 40", "away 3, refused 1", "Lambda invocations (auth 2, booking 3)"} {
		if !strings.Contains(en.String(), want) {
			t.Errorf("the English copy lacks %q", want)
		}
	}
	for _, report := range []string{zh.String(), en.String()} {
		if strings.Contains(report, "map[") || strings.Contains(report, "r1-s1") || strings.Contains(report, "12:39") {
			t.Errorf("a program value, a site id or a UTC time in the report:\n%s", report)
		}
	}
}
