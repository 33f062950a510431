package scenario

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fangxian/fangxian/internal/apiclient"
	"github.com/fangxian/fangxian/internal/demo"
	"github.com/fangxian/fangxian/shared/chinatime"
)

// Screening is the night's list from the district (协查名单): rows planted
// to be found by phone, by name and a door written as people write it, at
// a real door under a name nobody there has, or nowhere in the street.
type Screening struct {
	Rows int `json:"rows"`
	// Planted are the rows of each kind; Found what the upload made of them.
	PlantedMatch    int            `json:"plantedMatch"`
	PlantedToFind   int            `json:"plantedToFind"`
	PlantedUnplaced int            `json:"plantedUnplaced"`
	Tasks           int            `json:"tasks"`
	ToFind          int            `json:"toFind"`
	Unplaced        int            `json:"unplaced"`
	MatchedBy       map[string]int `json:"matchedBy"`
	// Verified are the doors answered; Mine the tasks the staff member
	// was given, as their own list shows.
	Verified int `json:"verified"`
	Mine     int `json:"mine"`
	// Back: the file came back row for row in the sender's columns with
	// every row answered; FullIDs are full identity numbers in it.
	BackRows   int  `json:"backRows"`
	BackHeader bool `json:"backHeader"`
	Answered   int  `json:"answered"`
	FullIDs    int  `json:"fullIds"`
	// Measures are the doors answered with a measure that names a watch;
	// Watches the watches they opened; IsolatedHouseholds the households
	// of home isolation, SealedHouseholds those sealed as a household.
	Measures           int     `json:"measures"`
	Watches            int     `json:"watches"`
	IsolatedHouseholds int     `json:"isolatedHouseholds"`
	SealedHouseholds   int     `json:"sealedHouseholds"`
	Seconds            float64 `json:"seconds"`
	Skipped            bool    `json:"skipped"`
}

// chineseDigit writes a number digit by digit in Chinese (三零一).
func chineseDigit(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune([]rune("零一二三四五六七八九")[r-'0'])
	}
	return b.String()
}

// screening plays the night's list: the street uploads it as it came, the
// community gives its doors to its staff member, who answers each; rows
// to find are said to be nobody; the street asks for the file back.
func (r *runner) screening(ctx context.Context) error {
	sc := &r.rep.Screening
	if r.c.Drill || r.c.Remote {
		sc.Skipped = true // a list from the district is real work, not a drill's
		return nil
	}
	data, _ := demo.CSV(time.Now().Year())
	rd := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	all, err := rd.ReadAll()
	if err != nil {
		return err
	}
	all = all[1:] // 楼栋, 单元, 房号, 姓名, 手机号, …
	n := 40 + len(r.hs)/50
	step := len(all) / n
	deadline := chinatime.In(time.Now().Add(6 * time.Hour)).Format("2006-01-02 15:04")
	categories := []string{"密接", "次密接", "时空伴随", "来返人员"}
	var file bytes.Buffer
	w := csv.NewWriter(&file)
	header := []string{"序号", "姓名", "证件号码", "手机号", "现住址", "类别", "截止时间", "协查来源"}
	_ = w.Write(header)
	for i := range n {
		p := all[i*step]
		b := strings.TrimSuffix(p[0], "号楼")
		name, phone, addr := p[3], "", ""
		switch k := i % 10; {
		case k <= 3:
			phone = p[4]
			addr = fmt.Sprintf("城关区杨家园小区%s号楼%s单元%s室", b, p[1], p[2])
			if phone == "" { // a child: found by name and door instead
				addr = fmt.Sprintf("杨家园%s号楼%s单元%s", b, p[1], p[2])
			}
			sc.PlantedMatch++
		case k <= 6:
			addr = fmt.Sprintf("杨家园%s栋%s单元%s", chineseNumber(b), chineseDigit(p[1]), chineseDigit(p[2]))
			sc.PlantedMatch++
		case k == 7:
			addr = fmt.Sprintf("杨家园 %s-%s-%s", b, p[1], p[2])
			sc.PlantedMatch++
		case k == 8:
			name = "查无此人" + chineseDigit(fmt.Sprint(i))
			addr = fmt.Sprintf("杨家园小区%s号楼%s单元%s室", b, p[1], p[2])
			sc.PlantedToFind++
		default:
			name = "过路旅客" + chineseDigit(fmt.Sprint(i))
			addr = "七里河区西湖街道某小区"
			sc.PlantedUnplaced++
		}
		_ = w.Write([]string{fmt.Sprint(i + 1), name, fmt.Sprintf("620102199%07d", 1000000+i), phone, addr, categories[i%4], deadline, "区疫情防控指挥部"})
	}
	w.Flush()
	sc.Rows = n
	t0 := time.Now()
	var sum struct {
		List        struct{ ID string }
		Communities []struct {
			CommunityID                            string
			Tasks, Verified, Open, ToFind, Overdue int
		}
		Unplaced  []struct{ ID string }
		MatchedBy map[string]int
	}
	if err := r.call(ctx, "POST", "/v1/streets/"+demo.StreetID+"/screening-lists?name=%E5%A4%9C%E9%97%B4%E5%8D%8F%E6%9F%A5", r.admin,
		apiclient.Raw{ContentType: "text/csv", Body: file.Bytes()}, &sum); err != nil {
		return err
	}
	sc.Unplaced, sc.MatchedBy = len(sum.Unplaced), sum.MatchedBy
	for _, c := range sum.Communities {
		if c.CommunityID == r.rep.Community {
			sc.Tasks, sc.ToFind = c.Open, c.ToFind
		}
	}
	type task struct {
		ID     string
		Status string
	}
	var open, toFind struct{ Tasks []task }
	base := "/v1/communities/" + r.rep.Community + "/screening-tasks"
	if err := r.call(ctx, "GET", base+"?status=open", r.staff, nil, &open); err != nil {
		return err
	}
	if err := r.call(ctx, "GET", base+"?status=to_find", r.staff, nil, &toFind); err != nil {
		return err
	}
	for chunk := range slices.Chunk(open.Tasks, 200) {
		ids := make([]string, len(chunk))
		for i, t := range chunk {
			ids[i] = t.ID
		}
		if err := r.call(ctx, "POST", base+"/assign", r.staff, map[string]any{"taskIds": ids, "staffPhone": demo.StaffPhone}, nil); err != nil {
			return err
		}
	}
	var given struct{ Tasks []task }
	if err := r.call(ctx, "GET", "/v1/me/screening-tasks", r.staff, nil, &given); err != nil {
		return err
	}
	// The staff member's doors of this list (a day may have had others).
	var mine struct{ Tasks []task }
	for _, t := range given.Tasks {
		if strings.HasPrefix(t.ID, sum.List.ID+"-") {
			mine.Tasks = append(mine.Tasks, t)
		}
	}
	sc.Mine = len(mine.Tasks)
	// The doors, eight at a time: most at home under health monitoring,
	// every fifth away; rows to find are nobody there.
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	answer := func(id string, body map[string]string) {
		defer wg.Done()
		sem <- struct{}{}
		defer func() { <-sem }()
		if !r.fail(r.call(ctx, "POST", "/v1/screening-tasks/"+id+"/outcome", r.staff, body, nil)) {
			mu.Lock()
			sc.Verified++
			mu.Unlock()
		}
	}
	for i, t := range mine.Tasks {
		body := map[string]string{"outcome": "found_home", "measure": "health_monitoring", "note": "已告知居家健康监测"}
		switch i % 5 {
		case 4:
			body = map[string]string{"outcome": "away", "where": "兰州新区"}
		case 3:
			body = map[string]string{"outcome": "found_home", "measure": "home_isolation", "note": "已贴封条"}
		}
		if body["measure"] != "" {
			sc.Measures++
		}
		wg.Add(1)
		go answer(t.ID, body)
	}
	for _, t := range toFind.Tasks {
		wg.Add(1)
		go answer(t.ID, map[string]string{"outcome": "no_such_person", "note": "该户无此人"})
	}
	wg.Wait()
	// The street says the rows of nobody in it are not its own.
	for _, u := range sum.Unplaced {
		if r.fail(r.call(ctx, "POST", "/v1/screening-tasks/"+u.ID+"/outcome", r.admin, map[string]string{"outcome": "wrong_address"}, nil)) {
			continue
		}
		sc.Verified++
	}
	var raw []byte
	if err := r.call(ctx, "GET", "/v1/screening-lists/"+sum.List.ID+"/feedback?format=csv", r.admin, nil, &raw); err != nil {
		return err
	}
	back, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff")))).ReadAll()
	if err != nil || len(back) == 0 {
		return fmt.Errorf("the feedback file: %v", err)
	}
	want := append(slices.Clone(header), "核查结果", "管控措施", "核查人", "核查时间", "所属社区")
	sc.BackHeader = slices.Equal(back[0], want)
	sc.BackRows = len(back) - 1
	for i, row := range back[1:] {
		if len(row) != len(want) || row[0] != fmt.Sprint(i+1) {
			sc.BackHeader = false
			continue
		}
		if res := row[8]; res != "" && res != "核查中" && res != "待查找" && res != "逾期未核查" {
			sc.Answered++
		}
		if !strings.Contains(row[2], "*") {
			sc.FullIDs++
		}
	}
	// Each measure opened its watch; each home isolation sealed its household.
	var ws struct {
		Watches []struct{ Ref, Kind, HouseholdID, Status string }
	}
	if err := r.call(ctx, "GET", "/v1/communities/"+r.rep.Community+"/watches?status=active", r.staff, nil, &ws); err != nil {
		return err
	}
	isolated := map[string]bool{}
	for _, w := range ws.Watches {
		if strings.HasPrefix(w.Ref, sum.List.ID+"-") {
			sc.Watches++
			if w.Kind == "home_isolation" {
				isolated[w.HouseholdID] = true
			}
		}
	}
	var zs struct {
		Zones []struct{ HouseholdID, Level, Reason string }
	}
	if err := r.call(ctx, "GET", "/v1/communities/"+r.rep.Community+"/zones", r.staff, nil, &zs); err != nil {
		return err
	}
	for _, z := range zs.Zones {
		if isolated[z.HouseholdID] && z.Level == "sealed" && z.Reason == "home_isolation" {
			sc.SealedHouseholds++
		}
	}
	sc.IsolatedHouseholds = len(isolated)
	sc.Seconds = time.Since(t0).Seconds()
	r.count("list rows", sc.Rows)
	r.count("doors verified", sc.Verified)
	r.count("rows to find", sc.ToFind)
	r.count("rows outside the street", sc.Unplaced)
	r.count("people put under watch", sc.Watches)
	r.count("households isolated", sc.IsolatedHouseholds)
	return nil
}

// chineseNumber writes 1 to 99 as Chinese numerals (十二, 二十三).
func chineseNumber(s string) string {
	n := 0
	_, _ = fmt.Sscan(s, &n)
	digits := []rune("零一二三四五六七八九")
	switch {
	case n < 10:
		return string(digits[n])
	case n == 10:
		return "十"
	case n < 20:
		return "十" + string(digits[n%10])
	case n%10 == 0:
		return string(digits[n/10]) + "十"
	}
	return string(digits[n/10]) + "十" + string(digits[n%10])
}
