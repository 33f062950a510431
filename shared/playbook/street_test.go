package playbook_test

import (
	"context"
	"slices"
	"testing"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/manifest"
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

// TestAStreetTemplateCopiedAndAdapted: the street keeps a template that
// names no building (one that does is refused); a community copies it
// into its playbook, which names the template and version; adapted, the
// playbook says what changed; a template of another street is not found.
func TestAStreetTemplateCopiedAndAdapted(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.SaveTemplate(ctx, f.admin, "s1", "", playbook.TemplateInput{Name: "封控", Emergency: []playbook.Step{
		{ID: "seal", Title: "封控", Action: &playbook.Action{Kind: playbook.ActionSealBuildings, BuildingIDs: f.sealed}}}}); code(err) != "TEMPLATE_NOT_NEUTRAL" {
		t.Errorf("a template naming buildings: %v", err)
	}
	if _, err := f.svc.SaveTemplate(ctx, f.staff, "s1", "", playbook.TemplateInput{Name: "x"}); code(err) != "FORBIDDEN" {
		t.Errorf("staff made a template: %v", err)
	}
	tpl, err := f.svc.SaveTemplate(ctx, f.admin, "s1", "", playbook.TemplateInput{Name: "街道标准预案", Emergency: []playbook.Step{
		{ID: "report", Title: "上报街道", Owner: "staff", DueMinutes: 15}, {ID: "tell", Title: "通知居民", Owner: "staff", DueMinutes: 30}}})
	if err != nil || tpl.Version != 1 {
		t.Fatalf("the template: %+v %v", tpl, err)
	}
	stored, err := f.svc.Get(ctx, f.staff, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.FromTemplate(ctx, f.staff, "c1", playbook.FromTemplateInput{TemplateID: tpl.ID, Version: stored.Version + 5}); code(err) != "CHANGED_MEANWHILE" {
		t.Errorf("a copy over a playbook not read: %v", err)
	}
	pb, err := f.svc.FromTemplate(ctx, f.staff, "c1", playbook.FromTemplateInput{TemplateID: tpl.ID, Version: stored.Version})
	if err != nil || pb.Template == nil || pb.Template.ID != tpl.ID || pb.Template.Version != 1 || len(pb.Emergency) != 2 {
		t.Fatalf("the copy: %+v %v", pb, err)
	}
	// Adapted: a step added (sealing its own buildings), one changed, one kept.
	pb.Emergency[1].DueMinutes = 20
	pb.Emergency = append(pb.Emergency, playbook.Step{ID: "seal", Title: "封控1号楼", Owner: "staff", DueMinutes: 30,
		Action: &playbook.Action{Kind: playbook.ActionSealBuildings, BuildingIDs: f.sealed[:1]}})
	pb.Template = nil // a save keeps the stored template whatever it sends
	if pb, err = f.svc.Put(ctx, f.staff, "c1", pb); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Get(ctx, f.staff, "c1")
	if err != nil || got.Template == nil || got.TemplateChanges == nil {
		t.Fatalf("the adapted playbook: %+v %v", got, err)
	}
	if c := got.TemplateChanges; !slices.Equal(c.Added, []string{"seal"}) || !slices.Equal(c.Changed, []string{"tell"}) || len(c.Removed) != 0 {
		t.Errorf("changes %+v", c)
	}
	dynamolocal.SeedCommunity(t, f.st, "s2", "c9", "13900000099")
	other, err := f.svc.SaveTemplate(ctx, auth.Principal{UserID: "admin-s2", Role: manifest.RoleAdmin, StreetID: "s2"}.Normalized(), "s2", "", playbook.TemplateInput{Name: "东岗"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.FromTemplate(ctx, f.staff, "c1", playbook.FromTemplateInput{TemplateID: other.ID, Version: got.Version}); code(err) != "TEMPLATE_NOT_FOUND" {
		t.Errorf("another street's template: %v", err)
	}
}
