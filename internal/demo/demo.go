// Package demo makes the demo community that `make run` seeds, shaped like the
// Lanzhou community of the seed report: about 40 buildings, 3,000 households
// and 8,000 residents, a street admin and a staff member. The data is made up
// and the same every time.
package demo

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/reserve"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
	"github.com/fangxian/fangxian/shared/volunteers"
)

// The demo's fixed ids and sign-in phones.
const (
	StreetID    = "street-demo"
	CommunityID = "community-demo"
	AdminPhone  = "13900000000"
	StaffPhone  = "13900000001"

	// A small neighbouring street, so that the boundaries between tenants
	// can be tried on a developer machine too.
	OtherStreetID    = "street-east"
	OtherCommunityID = "community-east"
	OtherAdminPhone  = "13900000100"
	OtherStaffPhone  = "13900000101"

	// A second, small community of the demo street: the street admin's
	// console shows its communities side by side.
	NeighbourID = "community-jiuquan"
)

// Shape of the generated community.
const (
	Buildings        = 40
	UnitsPerBuilding = 3
	RoomsPerUnit     = 25 // 40 × 3 × 25 = 3,000 households
)

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢")
var given = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志文斌玲晨宇浩然欣怡子涵梓萱一诺嘉")

// CSV returns the demo community's residents as an import file, and the
// phones of a few residents to sign in with.
func CSV(thisYear int) ([]byte, []string) {
	r := rand.New(rand.NewPCG(2021, 10))
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"楼栋", "单元", "房号", "姓名", "手机号", "出生年份", "标记"})
	phoneSeq := 0
	var samples []string
	for b := 1; b <= Buildings; b++ {
		for u := 1; u <= UnitsPerBuilding; u++ {
			for room := 1; room <= RoomsPerUnit; room++ {
				floor, door := (room-1)/2+1, (room-1)%2+1
				roomName := fmt.Sprintf("%d%02d", floor, door)
				surname := surnames[r.IntN(len(surnames))]
				// 1 to 4 members, 2.67 on average: about 8,000 in all.
				members := []int{1, 2, 2, 3, 3, 3, 4, 4, 1, 2, 3, 4}[r.IntN(12)]
				used := map[string]bool{}
				for m := 0; m < members; m++ {
					name := string(surname) + string(given[r.IntN(len(given))])
					if r.IntN(2) == 0 {
						name += string(given[r.IntN(len(given))])
					}
					if used[name] {
						continue
					}
					used[name] = true
					age := 3 + r.IntN(88)
					phone := ""
					// Children under 12 and a third of those over 75 have no phone.
					if age >= 12 && !(age > 75 && r.IntN(3) == 0) {
						phoneSeq++
						phone = fmt.Sprintf("137%08d", phoneSeq)
						if len(samples) < 5 && phoneSeq%97 == 1 {
							samples = append(samples, phone)
						}
					}
					flags := ""
					switch {
					case age > 80 && r.IntN(4) == 0:
						flags = "卧床"
					case age > 70 && members == 1:
						flags = "独居;慢病"
					case age > 60 && r.IntN(3) == 0:
						flags = "慢病"
					case age > 22 && age < 40 && r.IntN(40) == 0:
						flags = "孕妇"
					}
					_ = w.Write([]string{fmt.Sprintf("%d号楼", b), strconv.Itoa(u), roomName, name, phone,
						strconv.Itoa(thisYear - age), flags})
				}
			}
		}
	}
	w.Flush()
	return buf.Bytes(), samples
}

// Seed creates the demo street, community, admin and staff member if they are
// missing, and imports the demo residents (a no-op when they are in already).
func Seed(ctx context.Context, r *app.Root, now time.Time) (registry.ImportReport, []string, error) {
	// The demo's data is made as of now, and nobody is texted for it.
	p := r.Parts
	p.Now, p.SMS, p.Queue = func() time.Time { return now }, sms.Discard{}, queue.Discard{}
	r = app.New(r.Config, p)
	st := r.Store
	err := st.CreateStreetWithAdmin(ctx, registry.Street{ID: StreetID, Name: "酒泉路街道（演示）"},
		registry.Staff{ID: "u-demo-admin", Name: "街道管理员", Phone: AdminPhone, CreatedAt: now}, false, false)
	if err != nil && !errors.Is(err, store.ErrStreetExists) {
		return registry.ImportReport{}, nil, err
	}
	err = st.CreateCommunity(ctx, registry.Community{ID: CommunityID, StreetID: StreetID, Name: "杨家园社区（演示）"})
	if err != nil && !errors.Is(err, store.ErrCommunityExists) {
		return registry.ImportReport{}, nil, err
	}
	err = st.CreateStaff(ctx, registry.Staff{ID: "u-demo-staff", Name: "社区工作人员", Phone: StaffPhone, CommunityID: CommunityID, CreatedAt: now}, manifest.RoleStaff, nil)
	if err != nil && !errors.Is(err, registry.ErrPhoneTaken) {
		return registry.ImportReport{}, nil, err
	}
	if err := seedOther(ctx, r, now); err != nil {
		return registry.ImportReport{}, nil, err
	}
	err = st.CreateCommunity(ctx, registry.Community{ID: NeighbourID, StreetID: StreetID, Name: "酒泉路社区（演示）"})
	if err != nil && !errors.Is(err, store.ErrCommunityExists) {
		return registry.ImportReport{}, nil, err
	}
	if _, err := r.Importer().Import(ctx, NeighbourID, []byte(NeighbourCSV)); err != nil {
		return registry.ImportReport{}, nil, err
	}
	if err := seedNeighbour(ctx, r, now); err != nil {
		return registry.ImportReport{}, nil, err
	}
	data, samples := CSV(now.Year())
	report, err := r.Importer().Import(ctx, CommunityID, data)
	if err != nil {
		return report, samples, err
	}
	if err := seedReserve(ctx, r); err != nil {
		return report, samples, err
	}
	return report, samples, seedPlaybook(ctx, r, now)
}

// NeighbourStaffPhone is the neighbouring community's staff member, and
// NeighbourVolunteerPhones its volunteers: the street's pool lends them
// to the demo community for a rush.
const NeighbourStaffPhone = "13900000002"

// NeighbourVolunteerPhones are the neighbour's approved volunteers.
var NeighbourVolunteerPhones = []string{"13500000201", "13500000202"}

var neighbourVolunteerNames = []string{"陈晓东", "刘芳"}

// seedNeighbour gives the neighbouring community its staff member and two
// volunteers, once.
func seedNeighbour(ctx context.Context, r *app.Root, now time.Time) error {
	st := r.Store
	err := st.CreateStaff(ctx, registry.Staff{ID: "u-jiuquan-staff", Name: "酒泉路社区工作人员", Phone: NeighbourStaffPhone, CommunityID: NeighbourID, CreatedAt: now}, manifest.RoleStaff, nil)
	if err != nil && !errors.Is(err, registry.ErrPhoneTaken) {
		return err
	}
	have, err := st.Volunteers(ctx, NeighbourID)
	if err != nil || len(have) > 0 {
		return err
	}
	staff := auth.Principal{UserID: "u-jiuquan-staff", Role: manifest.RoleStaff, CommunityID: NeighbourID}.Normalized()
	for i, ph := range NeighbourVolunteerPhones {
		v := volunteers.Volunteer{ID: registry.NewID("v"), CommunityID: NeighbourID, Name: neighbourVolunteerNames[i], Phone: ph,
			Category: "party_member", Skills: []string{"registration"}, Availability: []volunteers.Window{}, Status: volunteers.StatusPending, CreatedAt: now}
		if err := st.CreateVolunteer(ctx, v); err != nil {
			return err
		}
		if _, err := r.Volunteers().Decide(ctx, staff, v.ID, volunteers.StatusApproved); err != nil {
			return err
		}
	}
	return nil
}

// seedReserve stocks the demo community's reserve as a committee would in
// peacetime, two items short of their minimum.
func seedReserve(ctx context.Context, r *app.Root) error {
	staff := auth.Principal{UserID: "u-demo-staff", Role: manifest.RoleStaff, CommunityID: CommunityID}.Normalized()
	for _, it := range []struct {
		name, unit, category string
		minimum, quantity    int
		donor                string
	}{
		{"N95口罩", "个", "protective", 500, 300, ""},
		{"防护服", "套", "protective", 100, 150, "兰州某医药公司"},
		{"84消毒液", "瓶", "disinfectant", 50, 80, ""},
		{"抗原检测试剂", "人份", "test_kit", 200, 120, ""},
		{"应急食品包", "份", "food", 100, 100, ""},
	} {
		item, err := r.Reserve().Create(ctx, staff, CommunityID, reserve.ItemInput{Name: &it.name, Unit: &it.unit, Category: &it.category, Minimum: &it.minimum})
		if errors.Is(err, reserve.ErrDuplicate) {
			continue // stocked by an earlier start
		}
		if err != nil {
			return err
		}
		if _, err := r.Reserve().Move(ctx, staff, CommunityID, item.ID, reserve.MovementInput{Kind: reserve.Receipt, Quantity: it.quantity, Donor: it.donor}); err != nil {
			return err
		}
	}
	return nil
}

// NeighbourCSV is the demo street's second community: two buildings.
const NeighbourCSV = "楼栋,单元,房号,姓名,手机号\n" +
	"1号楼,1,101,酒泉路居民甲,13600000201\n1号楼,1,102,酒泉路居民乙,13600000202\n" +
	"2号楼,1,101,酒泉路居民丙,13600000203\n2号楼,2,301,酒泉路居民丁,13600000204\n"

// OtherCSV is the neighbouring community's few residents.
const OtherCSV = "楼栋,单元,房号,姓名,手机号\n1号楼,1,101,东岗居民甲,13600000001\n1号楼,1,102,东岗居民乙,13600000002\n"

func seedOther(ctx context.Context, r *app.Root, now time.Time) error {
	st := r.Store
	err := st.CreateStreetWithAdmin(ctx, registry.Street{ID: OtherStreetID, Name: "东岗街道（演示）"},
		registry.Staff{ID: "u-east-admin", Name: "东岗街道管理员", Phone: OtherAdminPhone, CreatedAt: now}, false, false)
	if err != nil && !errors.Is(err, store.ErrStreetExists) {
		return err
	}
	err = st.CreateCommunity(ctx, registry.Community{ID: OtherCommunityID, StreetID: OtherStreetID, Name: "东岗社区（演示）"})
	if err != nil && !errors.Is(err, store.ErrCommunityExists) {
		return err
	}
	err = st.CreateStaff(ctx, registry.Staff{ID: "u-east-staff", Name: "东岗工作人员", Phone: OtherStaffPhone, CommunityID: OtherCommunityID, CreatedAt: now}, manifest.RoleStaff, nil)
	if err != nil && !errors.Is(err, registry.ErrPhoneTaken) {
		return err
	}
	_, err = r.Importer().Import(ctx, OtherCommunityID, []byte(OtherCSV))
	return err
}
