package playbook_test

import (
	"context"
	"testing"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/playbook"
	"github.com/fangxian/fangxian/shared/registry"
)

// TestOneStreetCallSwitchesItsCommunities: a street's admin starts a drill
// in two of its communities in one call, each with its own playbook; the
// same call again switches nobody twice; a list naming a community of
// another street switches none; staff may not; the street's runs list
// both with their progress.
func TestOneStreetCallSwitchesItsCommunities(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.st.CreateCommunity(ctx, registry.Community{ID: "c2", StreetID: "s1", Name: "c2"}); err != nil {
		t.Fatal(err)
	}
	dynamolocal.SeedCommunity(t, f.st, "s2", "c9", "13900000099")
	f.put(t, playbook.Playbook{Emergency: []playbook.Step{{ID: "a", Title: "上报"}}})
	both := playbook.StreetModeInput{Communities: []string{"c1", "c2"}, Mode: playbook.ModeEmergency, Drill: true}
	cases := []struct {
		name     string
		in       playbook.StreetModeInput
		code     string
		switched int
		errs     []string // each community's code, in id order
	}{
		{"another street's community", playbook.StreetModeInput{Communities: []string{"c1", "c9"}, Mode: playbook.ModeEmergency, Drill: true}, "COMMUNITY_NOT_IN_STREET", 0, nil},
		{"a community twice", playbook.StreetModeInput{Communities: []string{"c1", "c1"}, Mode: playbook.ModeEmergency, Drill: true}, "VALIDATION_FAILED", 0, nil},
		{"no mode", playbook.StreetModeInput{Communities: []string{"c1"}}, "VALIDATION_FAILED", 0, nil},
		{"both into a drill", both, "", 2, []string{"", ""}},
		{"the same again", both, "", 0, []string{"DRILL_RUNNING", "DRILL_RUNNING"}},
	}
	for _, c := range cases {
		got, err := f.svc.SwitchStreet(ctx, f.admin, "s1", c.in)
		if code(err) != c.code {
			t.Fatalf("%s: %v, want %s", c.name, err, c.code)
		}
		if err != nil {
			continue
		}
		if got.Switched != c.switched || len(got.Results) != len(c.errs) {
			t.Fatalf("%s: %+v", c.name, got)
		}
		for i, r := range got.Results {
			if r.Error != c.errs[i] || (r.Error == "") != (r.Run != nil) || (r.Run != nil && (!r.Run.Drill || r.Run.CommunityID != r.CommunityID)) {
				t.Errorf("%s: result %d %+v", c.name, i, r)
			}
		}
	}
	if _, err := f.svc.SwitchStreet(ctx, f.staff, "s1", both); code(err) != "FORBIDDEN" {
		t.Errorf("staff switched the street: %v", err)
	}
	runs, err := f.svc.StreetRuns(ctx, f.admin, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 {
		t.Fatalf("street runs %+v", runs)
	}
	for _, r := range runs {
		if r.DrillRunID == "" || r.Run == nil || r.Run.ID != r.DrillRunID || r.Steps != len(r.Run.Steps) {
			t.Errorf("community %s: %+v", r.CommunityID, r)
		}
	}
	// c1's playbook has steps (the fixture's); c2 has none: each its own.
	if runs[0].Steps == 0 || runs[1].Steps != 0 {
		t.Errorf("steps c1 %d, c2 %d: each community runs its own playbook", runs[0].Steps, runs[1].Steps)
	}
	if _, err := f.svc.StreetRuns(ctx, f.admin, "s2"); code(err) != "FORBIDDEN" {
		t.Errorf("another street's runs: %v", err)
	}
}
