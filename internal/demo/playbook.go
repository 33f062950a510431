package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/playbook"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/store"
	"github.com/fangxian/fangxian/shared/volunteers"
)

// VolunteerPhones are the demo's approved volunteers: the first two are A
// roles of the two posts, the last two their B roles.
var VolunteerPhones = []string{"13500000001", "13500000002", "13500000003", "13500000004"}

var volunteerNames = []string{"张卫国", "李红梅", "王建军", "赵丽"}

// FieldVolunteerPhones are the demo's volunteers for a round's field work,
// on no post yet: the day puts the first four as 楼栋长 of 1号楼 to 4号楼,
// the next four at the sites' lanes, the last two on the door team.
var FieldVolunteerPhones = []string{"13500000101", "13500000102", "13500000103", "13500000104", "13500000105",
	"13500000106", "13500000107", "13500000108", "13500000109", "13500000110"}

var fieldNames = []string{"孙楼长", "周楼长", "吴楼长", "郑楼长", "冯登记", "陈登记", "褚登记", "卫登记", "蒋上门", "沈上门"}

// seedPlaybook gives the demo community volunteers on two posts with
// shifts from the next hour, and a playbook that seals 1号楼 and 2号楼,
// tells them, opens a round, calls the volunteers and lists the manual
// steps: what a drill of the demo runs. Each part is skipped when present.
func seedPlaybook(ctx context.Context, r *app.Root, now time.Time) error {
	staff := auth.Principal{UserID: "u-demo-staff", Role: manifest.RoleStaff, CommunityID: CommunityID}.Normalized()
	st, vs := r.Store, r.Volunteers()
	posts, err := st.Posts(ctx, CommunityID)
	if err != nil {
		return err
	}
	if len(posts) == 0 {
		if err := seedVolunteers(ctx, st, vs, staff, now); err != nil {
			return fmt.Errorf("volunteers: %w", err)
		}
	}
	if _, ok, err := st.Playbook(ctx, CommunityID); err != nil || ok {
		return err
	}
	buildings, _, err := st.Buildings(ctx, CommunityID, "", 100)
	if err != nil {
		return err
	}
	var sealed []string
	for _, b := range buildings {
		if b.Name == "1号楼" || b.Name == "2号楼" {
			sealed = append(sealed, b.ID)
		}
	}
	if len(sealed) != 2 {
		return errors.New("the demo's 1号楼 and 2号楼 are missing")
	}
	pb := playbook.Playbook{CommunityID: CommunityID, RetentionDays: 30, Version: 1, UpdatedBy: "u-demo-staff",
		Emergency: []playbook.Step{
			{ID: "confirm", Title: "核实病例并上报街道", Owner: "staff", DueMinutes: 10,
				Checklist: []string{"确认病例住址、同住人和密接楼栋", "电话上报街道防控办"}},
			{ID: "seal", Title: "封控1号楼、2号楼", Owner: "staff", DueMinutes: 15,
				Action: &playbook.Action{Kind: playbook.ActionSealBuildings, BuildingIDs: sealed, Level: "sealed"}},
			{ID: "tell", Title: "通知封控楼栋居民", Owner: "staff", DueMinutes: 20,
				Action: &playbook.Action{Kind: playbook.ActionSendNotice, Notice: &playbook.NoticeTemplate{
					Title: "封控管理通知", Body: "因发现阳性病例，本楼即日起实行封控管理，请居家不外出，核酸检测时间另行通知。",
					Channels: []string{"app", "sms"}, Urgent: true, ToSealed: true}}},
			{ID: "round", Title: "开启全员核酸检测", Owner: "staff", DueMinutes: 30,
				Action: &playbook.Action{Kind: playbook.ActionOpenRound, Round: &playbook.RoundTemplate{
					Name: "全员核酸（应急）", StartInMinutes: 30, Hours: 10, SlotMinutes: 30,
					Sites: []booking.SiteInput{{Name: "东门采样点", Lanes: 6, PerLanePerSlot: 40}, {Name: "西门采样点", Lanes: 6, PerLanePerSlot: 40}}}}},
			{ID: "volunteers", Title: "一键启动志愿者岗位", Owner: "staff", DueMinutes: 30,
				Action: &playbook.Action{Kind: playbook.ActionActivatePosts, Activation: &playbook.ActivationTemplate{All: true, Minutes: 10}}},
			{ID: "reserve", Title: "清点隔离储备", Owner: "staff", DueMinutes: 30,
				Action: &playbook.Action{Kind: playbook.ActionCheckReserves}},
			{ID: "approve", Title: "街道确认封控范围", Owner: "admin", DueMinutes: 60,
				Checklist: []string{"核对封控楼栋与流调结果", "报区指挥部备案"}},
			{ID: "supplies", Title: "开通物资保障", Owner: "staff", DueMinutes: 120,
				Checklist: []string{"确认保供商户与库存", "在小程序上架米面油菜", "安排配送志愿者"}},
		},
		Normal: []playbook.Step{
			{ID: "release", Title: "解除封控", Owner: "staff", DueMinutes: 10,
				Action: &playbook.Action{Kind: playbook.ActionReleaseBuildings}},
			{ID: "tell-end", Title: "通知解封", Owner: "staff", DueMinutes: 20,
				Action: &playbook.Action{Kind: playbook.ActionSendNotice, Notice: &playbook.NoticeTemplate{
					Title: "解除封控通知", Body: "经评估，本楼自即日起解除封控，请继续做好个人防护。", Channels: []string{"app", "sms"}, ToSealed: true}}},
			{ID: "review", Title: "复盘并处理个人信息", Owner: "admin", DueMinutes: 7 * 24 * 60,
				Checklist: []string{"召开复盘会", "核对个人信息到期安排"}},
		},
	}
	return st.PutPlaybook(ctx, pb, 0)
}

func seedVolunteers(ctx context.Context, st *store.Store, vs *volunteers.Service, staff auth.Principal, now time.Time) error {
	var ids []string
	for i, ph := range VolunteerPhones {
		v := volunteers.Volunteer{ID: registry.NewID("v"), CommunityID: CommunityID, Name: volunteerNames[i], Phone: ph,
			Category: "individual", Skills: []string{"registration"}, Availability: []volunteers.Window{}, Status: volunteers.StatusPending, CreatedAt: now}
		if err := st.CreateVolunteer(ctx, v); err != nil {
			return err
		}
		if _, err := vs.Decide(ctx, staff, v.ID, volunteers.StatusApproved); err != nil {
			return err
		}
		ids = append(ids, v.ID)
	}
	for i, ph := range FieldVolunteerPhones {
		v := volunteers.Volunteer{ID: registry.NewID("v"), CommunityID: CommunityID, Name: fieldNames[i], Phone: ph,
			Category: "individual", Skills: []string{"registration"}, Availability: []volunteers.Window{}, Status: volunteers.StatusPending, CreatedAt: now}
		if err := st.CreateVolunteer(ctx, v); err != nil {
			return err
		}
		if _, err := vs.Decide(ctx, staff, v.ID, volunteers.StatusApproved); err != nil {
			return err
		}
	}
	start := now.Truncate(time.Hour).Add(time.Hour)
	for i, post := range []volunteers.PostInput{
		{Kind: "queue_marshal", Name: "核酸点引导", Place: "东门采样点", Skills: []string{}},
		{Kind: "checkpoint", Name: "卡口登记", Place: "小区北门", Skills: []string{"registration"}},
	} {
		post.Shifts = []volunteers.ShiftInput{{StartsAt: start, EndsAt: start.Add(12 * time.Hour), Need: 1},
			{StartsAt: start.Add(24 * time.Hour), EndsAt: start.Add(36 * time.Hour), Need: 1}}
		p, err := vs.CreatePost(ctx, staff, CommunityID, post)
		if err != nil {
			return err
		}
		for _, sh := range p.Shifts {
			for role, vid := range map[string]string{volunteers.RoleA: ids[i], volunteers.RoleB: ids[i+2]} {
				if _, err := vs.Assign(ctx, staff, p.ID, volunteers.AssignInput{VolunteerID: vid, ShiftID: sh.ID, Role: role}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
