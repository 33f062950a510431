package playbook

import (
	"errors"
	"testing"

	"github.com/fangxian/fangxian/shared/manifest"
)

func TestMayTick(t *testing.T) {
	staff, admin := false, true
	adminStep := RunStep{Step: Step{ID: "approve", Owner: string(manifest.RoleAdmin)}, Status: StepPending}
	staffStep := RunStep{Step: Step{ID: "tell", Owner: string(manifest.RoleStaff)}, Status: StepPending}
	doneStep := RunStep{Step: Step{ID: "tell", Owner: string(manifest.RoleStaff)}, Status: StepDone}
	cases := []struct {
		name    string
		step    RunStep
		who     bool // a street admin of the community
		done    bool
		refused error
	}{
		{"staff tick their step", staffStep, staff, false, nil},
		{"an admin ticks staff's step", staffStep, admin, false, nil},
		{"staff may not tick the street's sign-off", adminStep, staff, false, ErrNotOwner},
		{"the street's admin ticks it", adminStep, admin, false, nil},
		{"a done step is answered as it is", doneStep, staff, true, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			done, err := mayTick(c.step, c.who)
			if done != c.done || !errors.Is(err, c.refused) || (c.refused == nil && err != nil) {
				t.Fatalf("done %v, err %v; want %v, %v", done, err, c.done, c.refused)
			}
		})
	}
}
