package screening

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/registry"
)

// matcher finds a list's rows in the register of a street's communities.
type matcher struct {
	store       Store
	communities []registry.Community
	mu          sync.Mutex
	buildings   map[string][]registry.Building // by community, read once
	households  map[string]door                // by id, read once
}

// maxCandidates is how many people a row to find shows.
const maxCandidates = 5

// estateWords end a community's or an estate's name: 幸福里社区 is written
// 幸福里小区 or 幸福里 in an address.
var estateWords = []string{"社区居委会", "居委会", "社区", "小区", "家属院", "花园", "苑", "寓"}

// stem is a community's name without what an address leaves out: a note
// in brackets (（演示）) and the word that ends it.
func stem(name string) string {
	for _, pair := range [][2]string{{"（", "）"}, {"(", ")"}} {
		if i := strings.Index(name, pair[0]); i > 0 {
			if j := strings.Index(name[i:], pair[1]); j > 0 {
				name = name[:i] + name[i+j+len(pair[1]):]
			}
		}
	}
	name = strings.TrimSpace(name)
	for _, w := range estateWords {
		if s, ok := strings.CutSuffix(name, w); ok && s != "" {
			return s
		}
	}
	return name
}

// named are the communities whose name the address text holds.
func (m *matcher) named(address string) []registry.Community {
	var out []registry.Community
	for _, c := range m.communities {
		if s := stem(c.Name); s != "" && strings.Contains(address, s) {
			out = append(out, c)
		}
	}
	return out
}

// inStreet says whether a community is one of the street's.
func (m *matcher) inStreet(cid string) bool {
	return slices.ContainsFunc(m.communities, func(c registry.Community) bool { return c.ID == cid })
}

// match finds a row's person: by phone first, then by name and the door
// its address names. It fills the task's match, or its candidates and why
// it is to find.
func (m *matcher) match(ctx context.Context, t *Task) error {
	addr := ParseAddress(t.Address)
	named := m.named(t.Address)
	t.Status, t.Why = StatusToFind, WhyNoMatch
	if len(t.Phone) == 11 {
		found, err := m.byPhone(ctx, t)
		if err != nil || found {
			return err
		}
	}
	scope := named
	if len(scope) == 0 {
		scope = m.communities
	}
	// The door first: one read of the household the address names, in
	// each community it may be in, finds most rows.
	if addr.Complete() && t.Name != "" {
		var found []registry.Resident
		var at registry.Household
		for _, c := range scope {
			h, members, err := m.door(ctx, c.ID, addr)
			if err != nil {
				return err
			}
			for _, r := range members {
				if r.Name == t.Name {
					found, at = append(found, r), h
				}
			}
		}
		if len(found) == 1 {
			t.set(found[0], at, "name_address")
			return nil
		}
	}
	var same []registry.Resident
	for _, c := range scope {
		rs, err := m.sameName(ctx, c.ID, t.Name)
		if err != nil {
			return err
		}
		same = append(same, rs...)
	}
	var atDoor []registry.Resident
	var doors = map[string]registry.Household{}
	for _, r := range same {
		h, _, err := m.household(ctx, r.HouseholdID)
		if err != nil {
			return err
		}
		if h.ID == "" {
			continue
		}
		doors[r.HouseholdID] = h
		if addr.Building != "" && sameDoor(addr, h) {
			atDoor = append(atDoor, r)
		}
	}
	if len(atDoor) == 1 && addr.Complete() {
		r := atDoor[0]
		t.set(r, doors[r.HouseholdID], "name_address")
		return nil
	}
	for _, r := range same {
		t.candidate(r, doors[r.HouseholdID], "name")
	}
	if len(same) > 1 {
		t.Why = WhySeveral
	}
	// The door the address names, whoever lives there: staff may find the
	// person under another name (a typo, a maiden name).
	if addr.Complete() {
		for _, c := range scope {
			h, members, err := m.door(ctx, c.ID, addr)
			if err != nil {
				return err
			}
			for _, r := range members {
				t.candidate(r, h, "address")
			}
		}
	}
	t.CommunityID = ""
	switch {
	case len(t.Candidates) > 0 && allOne(t.Candidates):
		t.CommunityID = t.Candidates[0].CommunityID
	case len(named) == 1:
		t.CommunityID = named[0].ID
	}
	if t.CommunityID == "" {
		t.Why = WhyNoCommunity
	}
	return nil
}

// byPhone matches a row by its phone: the account says the community, the
// register who in it has the phone.
func (m *matcher) byPhone(ctx context.Context, t *Task) (bool, error) {
	acct, err := m.store.AccountByPhone(ctx, t.Phone)
	if errors.Is(err, auth.ErrNoAccount) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	cid := acct.ResidentCommunityID
	if cid == "" || !m.inStreet(cid) {
		return false, nil
	}
	// The phone's own resident, as its sign-in says: most rows are them.
	if acct.ResidentID != "" && acct.HouseholdID != "" {
		h, members, err := m.household(ctx, acct.HouseholdID)
		if err != nil {
			return false, err
		}
		for _, r := range members {
			if r.ID == acct.ResidentID && r.Name == t.Name {
				t.set(r, h, "phone")
				return true, nil
			}
		}
	}
	rs, err := m.store.ResidentsByPhone(ctx, cid, t.Phone)
	if err != nil {
		return false, err
	}
	rs = slices.DeleteFunc(rs, func(r registry.Resident) bool { return !r.Current() })
	if len(rs) == 0 {
		return false, nil
	}
	pick := -1
	for i, r := range rs {
		if r.Name == t.Name {
			pick = i
		}
	}
	if pick < 0 && len(rs) == 1 && t.Name == "" {
		pick = 0
	}
	if pick >= 0 {
		h, _, err := m.household(ctx, rs[pick].HouseholdID)
		if err != nil && !errors.Is(err, registry.ErrNotFound) {
			return false, err
		}
		t.set(rs[pick], h, "phone")
		return true, nil
	}
	// The phone is another's (a parent's phone on a child's row): the
	// household is likely, the person is for staff to say.
	for _, r := range rs {
		h, members, err := m.household(ctx, r.HouseholdID)
		if err != nil && !errors.Is(err, registry.ErrNotFound) {
			return false, err
		}
		for _, mb := range members {
			if mb.Name == t.Name {
				t.set(mb, h, "phone_household")
				return true, nil
			}
		}
		t.candidate(r, h, "phone")
	}
	t.Why, t.CommunityID = WhyOtherName, cid
	return false, nil
}

// sameName are the current residents of a community named exactly name.
func (m *matcher) sameName(ctx context.Context, cid, name string) ([]registry.Resident, error) {
	if name == "" {
		return nil, nil
	}
	rs, _, err := m.store.ResidentsByName(ctx, cid, name, "", 50)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(rs, func(r registry.Resident) bool { return r.Name != name || !r.Current() }), nil
}

// door reads the household an address names in a community, if any.
func (m *matcher) door(ctx context.Context, cid string, a Address) (registry.Household, []registry.Resident, error) {
	bs, err := m.buildingsOf(ctx, cid)
	if err != nil {
		return registry.Household{}, nil, err
	}
	for _, b := range bs {
		if LeadingNumber(b.Name) != a.Building {
			continue
		}
		units := []string{a.Unit}
		if a.Unit == "" {
			units = b.Units
		}
		for _, u := range b.Units {
			if !slices.Contains(units, u) && LeadingNumber(u) != a.Unit {
				continue
			}
			for _, room := range []string{a.Room, "0" + a.Room} {
				h, members, err := m.household(ctx, registry.HouseholdID(b.ID, u, room))
				if err != nil || h.ID != "" {
					return h, members, err
				}
			}
		}
	}
	return registry.Household{}, nil, nil
}

// household reads a household and its members once per upload (a zero
// household when there is none): a list often names a household twice.
func (m *matcher) household(ctx context.Context, hid string) (registry.Household, []registry.Resident, error) {
	m.mu.Lock()
	d, ok := m.households[hid]
	m.mu.Unlock()
	if ok {
		return d.h, d.members, nil
	}
	h, members, err := m.store.Household(ctx, hid)
	if errors.Is(err, registry.ErrNotFound) {
		h, members, err = registry.Household{}, nil, nil
	}
	if err != nil {
		return registry.Household{}, nil, err
	}
	m.mu.Lock()
	m.households[hid] = door{h, members}
	m.mu.Unlock()
	return h, members, nil
}

// door is a household with its members, as an upload read it.
type door struct {
	h       registry.Household
	members []registry.Resident
}

// buildingsOf reads a community's buildings once per upload.
func (m *matcher) buildingsOf(ctx context.Context, cid string) ([]registry.Building, error) {
	m.mu.Lock()
	bs, ok := m.buildings[cid]
	m.mu.Unlock()
	if ok {
		return bs, nil
	}
	var all []registry.Building
	cursor := ""
	for {
		page, next, err := m.store.Buildings(ctx, cid, cursor, 200)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	m.mu.Lock()
	m.buildings[cid] = all
	m.mu.Unlock()
	return all, nil
}

// sameDoor says whether a household is at the door an address names, as
// far as the address says.
func sameDoor(a Address, h registry.Household) bool {
	if LeadingNumber(h.BuildingName) != a.Building {
		return false
	}
	if a.Unit != "" && h.Unit != "" && LeadingNumber(h.Unit) != a.Unit {
		return false
	}
	return a.Room == "" || LeadingNumber(h.Room) == a.Room
}

func allOne(cs []Candidate) bool {
	for _, c := range cs {
		if c.CommunityID != cs[0].CommunityID {
			return false
		}
	}
	return true
}

// set makes r the task's person.
func (t *Task) set(r registry.Resident, h registry.Household, by string) {
	t.Status, t.Why, t.Candidates = StatusOpen, "", nil
	if t.Name == "" {
		t.Name = r.Name // a row with a phone and no name: the door needs one
	}
	t.CommunityID, t.ResidentID, t.HouseholdID, t.MatchedBy = r.CommunityID, r.ID, r.HouseholdID, by
	t.Door = h.Address()
}

// candidate adds r to the task's candidates, once and up to the bound.
func (t *Task) candidate(r registry.Resident, h registry.Household, why string) {
	if len(t.Candidates) >= maxCandidates || slices.ContainsFunc(t.Candidates, func(c Candidate) bool { return c.ResidentID == r.ID }) {
		return
	}
	t.Candidates = append(t.Candidates, Candidate{ResidentID: r.ID, Name: r.Name, CommunityID: r.CommunityID, Door: h.Address(), Why: why})
}
