package scenario

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/fangxian/fangxian/internal/apiclient"
	"github.com/fangxian/fangxian/internal/demo"
)

// Register is the night's corrections of the register, made at the door
// one person at a time, and the whole file imported again after them.
type Register struct {
	// Away, MovedOut and Added are the corrections made.
	Away     int `json:"away"`
	MovedOut int `json:"movedOut"`
	Added    int `json:"added"`
	// Conflicts are the import's lines that differ from a correction.
	Conflicts int `json:"conflicts"`
	// Kept: after the import, each correction stands (the away still
	// away, the moved out out of the household, the added in it).
	Kept bool `json:"kept"`
	// Skipped: a drill leaves the register as it is (it is not the
	// drill's).
	Skipped bool `json:"skipped"`
}

// register plays the night's corrections: a child found away, one moved
// out, a newborn added, each with why; then the district's whole file
// imported again, which keeps them and says where it differs.
func (r *runner) register(ctx context.Context) error {
	rg := &r.rep.Register
	if r.c.Drill || r.c.Remote {
		rg.Skipped = true
		return nil
	}
	// Households with a member without a phone (a child): the corrections
	// leave every phone, and so every sign-in of the day, as it was.
	var picked []*household
	var quiet []string
	for _, h := range r.hs {
		for _, id := range h.residents {
			if !slices.Contains(mapValues(h.byPhone), id) {
				picked, quiet = append(picked, h), append(quiet, id)
				break
			}
		}
		if len(picked) == 2 {
			break
		}
	}
	if len(picked) < 2 {
		return fmt.Errorf("no two households with a member without a phone")
	}
	patch := func(id string, body map[string]string) error {
		return r.call(ctx, "PATCH", "/v1/residents/"+id, r.staff, body, nil)
	}
	if err := patch(quiet[0], map[string]string{"status": "away", "where": "兰州新区外婆家", "reason": "入户核实：孩子在外婆家"}); err != nil {
		return err
	}
	rg.Away++
	if err := patch(quiet[1], map[string]string{"status": "moved_out", "reason": "入户核实：已随父母迁出"}); err != nil {
		return err
	}
	rg.MovedOut++
	var added struct{ ID string }
	if err := r.call(ctx, "POST", "/v1/communities/"+r.rep.Community+"/residents", r.staff,
		map[string]any{"householdId": picked[0].id, "name": "新生儿小满", "birthYear": time.Now().Year(), "reason": "入户核实：新生儿"}, &added); err != nil {
		return err
	}
	rg.Added++
	data, _ := demo.CSV(time.Now().Year())
	var rep struct {
		Conflicts []struct{ ResidentID, Field string }
	}
	if err := r.call(ctx, "POST", "/v1/communities/"+r.rep.Community+"/imports", r.staff, apiclient.Raw{ContentType: "text/csv", Body: data}, &rep); err != nil {
		return err
	}
	rg.Conflicts = len(rep.Conflicts)
	type card struct {
		Members []struct{ ID, Status string }
	}
	var first, second card
	if err := r.call(ctx, "GET", "/v1/households/"+picked[0].id, r.staff, nil, &first); err != nil {
		return err
	}
	if err := r.call(ctx, "GET", "/v1/households/"+picked[1].id, r.staff, nil, &second); err != nil {
		return err
	}
	away := slices.ContainsFunc(first.Members, func(m struct{ ID, Status string }) bool { return m.ID == quiet[0] && m.Status == "away" })
	born := slices.ContainsFunc(first.Members, func(m struct{ ID, Status string }) bool { return m.ID == added.ID })
	gone := !slices.ContainsFunc(second.Members, func(m struct{ ID, Status string }) bool { return m.ID == quiet[1] })
	rg.Kept = away && born && gone && slices.ContainsFunc(rep.Conflicts, func(c struct{ ResidentID, Field string }) bool {
		return c.ResidentID == quiet[1] && c.Field == "status"
	})
	r.count("residents found away", rg.Away)
	r.count("residents moved out", rg.MovedOut)
	r.count("residents added", rg.Added)
	r.count("import lines in conflict", rg.Conflicts)
	return nil
}

// mapValues are a map's values.
func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
