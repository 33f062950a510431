package registry

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/manifest"
)

// Snapshot is what the table holds now of the things an import names.
type Snapshot struct {
	Buildings  map[string]Building
	Households map[string]Household
	Residents  map[string]Resident
	// Accounts by phone.
	Accounts map[string]auth.Account
}

// PhoneRelease drops the account of Phone if it still signs in as ResidentID
// (the resident's phone changed or went).
type PhoneRelease struct {
	Phone      string
	ResidentID string
}

// ImportChanges are the writes of one import: only what differs from the table.
type ImportChanges struct {
	CommunityID string
	Buildings   []Building
	Households  []Household
	Residents   []Resident
	// Accounts are new sign-ins for residents' phones.
	Accounts []auth.Account
	// Attach are existing accounts (staff or volunteers of the community)
	// that gain the resident's household: one person, several roles.
	Attach   []auth.Account
	Releases []PhoneRelease
}

// ImportStore is the storage the import needs.
type ImportStore interface {
	Snapshot(ctx context.Context, communityID string, buildingIDs, householdIDs, residentIDs, phones []string) (Snapshot, error)
	ApplyImport(ctx context.Context, c ImportChanges) error
	// Recount sets each building's household and resident counts from what it holds.
	Recount(ctx context.Context, communityID string, buildingIDs []string) error
}

// Counts of one kind of thing in an import.
type Counts struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// ImportReport is the answer to an import.
type ImportReport struct {
	Lines      int                 `json:"lines"`
	Imported   int                 `json:"imported"`
	Buildings  Counts              `json:"buildings"`
	Households Counts              `json:"households"`
	Residents  Counts              `json:"residents"`
	Errors     []apperr.FieldError `json:"errors"`
	// ErrorsOmitted counts the errors past MaxReportedErrors, left out so
	// the answer stays small; fix the first ones and import again.
	ErrorsOmitted int `json:"errorsOmitted"`
	// Conflicts are lines that differ from what staff corrected by hand
	// (a phone, care flags, someone moved out or deceased): the correction
	// stands, the line's value is not applied.
	Conflicts []ImportConflict `json:"conflicts"`
}

// ImportConflict is a line of an import that a correction by staff
// overrules.
type ImportConflict struct {
	Line       int    `json:"line"`
	ResidentID string `json:"residentId"`
	Name       string `json:"name"`
	Field      string `json:"field"`
	Reason     string `json:"reason"`
}

// keepCorrections gives a resident as a line of the file names them what
// staff corrected by hand, and says where the line differs from it.
func keepCorrections(line int, old, res Resident) (Resident, []ImportConflict) {
	res.Status, res.Where, res.MovedTo, res.Corrected, res.Version = old.Status, old.Where, old.MovedTo, old.Corrected, old.Version
	var out []ImportConflict
	conflict := func(field, reason string) {
		out = append(out, ImportConflict{Line: line, ResidentID: old.ID, Name: old.Name, Field: field, Reason: reason})
	}
	if slices.Contains(old.Corrected, "phone") && res.Phone != old.Phone {
		res.Phone = old.Phone
		conflict("phone", "corrected by staff: the file's phone is not applied")
	}
	if slices.Contains(old.Corrected, "flags") && !slices.Equal(res.Flags, old.Flags) {
		res.Flags = old.Flags
		conflict("flags", "corrected by staff: the file's flags are not applied")
	}
	if !old.Current() {
		conflict("status", "marked "+old.Status+" by staff: the file still lists them")
	}
	return res, out
}

// MaxReportedErrors bounds the errors one import answers with.
const MaxReportedErrors = 500

// Importer creates or updates a community's buildings, households and
// residents from a CSV file, in one pass.
type Importer struct {
	Store ImportStore
	Now   func() time.Time
}

// Import validates every line, leaves out the lines that fail (each writes
// nothing), and writes what the others change. Importing the same file again
// writes nothing. A storage failure midway leaves whole items only; importing
// the file again completes it.
func (im *Importer) Import(ctx context.Context, communityID string, data []byte) (ImportReport, error) {
	rows, errs, err := ParseCSV(data, im.Now().Year())
	if err != nil {
		return ImportReport{}, err
	}
	var bids, hids, rids, phones []string
	for _, r := range rows {
		bid := BuildingID(communityID, r.Building)
		hid := HouseholdID(bid, r.Unit, r.Room)
		bids = append(bids, bid)
		hids = append(hids, hid)
		rids = append(rids, ResidentID(hid, r.Name))
		if r.Phone != "" {
			phones = append(phones, r.Phone)
		}
	}
	snap, err := im.Store.Snapshot(ctx, communityID, Distinct(bids), Distinct(hids), Distinct(rids), Distinct(phones))
	if err != nil {
		return ImportReport{}, err
	}
	changes, report := plan(communityID, rows, snap)
	report.Errors = append(errs, report.Errors...)
	sort.SliceStable(report.Errors, func(i, j int) bool { return report.Errors[i].Line < report.Errors[j].Line })
	report.Lines = len(rows) + countLines(errs)
	if len(report.Errors) > MaxReportedErrors {
		report.ErrorsOmitted = len(report.Errors) - MaxReportedErrors
		report.Errors = report.Errors[:MaxReportedErrors]
	}
	if report.Errors == nil {
		report.Errors = []apperr.FieldError{}
	}
	if report.Conflicts == nil {
		report.Conflicts = []ImportConflict{}
	}
	if err := im.Store.ApplyImport(ctx, changes); err != nil {
		return ImportReport{}, err
	}
	touched := map[string]bool{}
	for _, h := range changes.Households {
		touched[h.BuildingID] = true
	}
	for _, r := range changes.Residents {
		touched[BuildingOf(r.ID)] = true
	}
	if len(touched) > 0 {
		if err := im.Store.Recount(ctx, communityID, sortedKeys(touched)); err != nil {
			return ImportReport{}, err
		}
	}
	return report, nil
}

// plan decides, line by line, what to write. It is pure: the table's state
// comes in as snap.
func plan(cid string, rows []Row, snap Snapshot) (ImportChanges, ImportReport) {
	var report ImportReport
	changes := ImportChanges{CommunityID: cid}
	fail := func(r Row, field, reason string) {
		report.Errors = append(report.Errors, apperr.FieldError{Line: r.Line, Field: field, Reason: reason})
	}

	type accepted struct {
		row           Row
		bid, hid, rid string
	}
	var ok []accepted
	lineOfResident := map[string]int{}
	householdOfPhone := map[string]string{}
	lineOfPhone := map[string]int{}
	for _, r := range rows {
		bid := BuildingID(cid, r.Building)
		hid := HouseholdID(bid, r.Unit, r.Room)
		rid := ResidentID(hid, r.Name)
		if line, dup := lineOfResident[rid]; dup {
			fail(r, "name", fmt.Sprintf("the same person in the same household as line %d", line))
			continue
		}
		if r.Phone != "" {
			if other, used := householdOfPhone[r.Phone]; used && other != hid {
				fail(r, "phone", fmt.Sprintf("already given to another household on line %d", lineOfPhone[r.Phone]))
				continue
			}
			if acct, held := snap.Accounts[r.Phone]; held && acct.Has(manifest.RoleResident) && acct.HouseholdID != hid {
				fail(r, "phone", "already belongs to a resident of another household")
				continue
			}
		}
		lineOfResident[rid] = r.Line
		if r.Phone != "" {
			if _, used := householdOfPhone[r.Phone]; !used {
				householdOfPhone[r.Phone], lineOfPhone[r.Phone] = hid, r.Line
			}
		}
		ok = append(ok, accepted{r, bid, hid, rid})
	}
	report.Imported = len(ok)

	buildings := map[string]*Building{}
	households := map[string]*Household{}
	var bOrder, hOrder []string
	for _, a := range ok {
		b, seen := buildings[a.bid]
		if !seen {
			b = &Building{ID: a.bid, CommunityID: cid, Name: a.row.Building}
			if old, exists := snap.Buildings[a.bid]; exists {
				b.Units = slices.Clone(old.Units)
				b.HouseholdCount, b.ResidentCount = old.HouseholdCount, old.ResidentCount
			}
			buildings[a.bid] = b
			bOrder = append(bOrder, a.bid)
		}
		if !slices.Contains(b.Units, a.row.Unit) {
			b.Units = append(b.Units, a.row.Unit)
		}
		h, seen := households[a.hid]
		if !seen {
			h = &Household{ID: a.hid, CommunityID: cid, BuildingID: a.bid, BuildingName: a.row.Building, Unit: a.row.Unit, Room: a.row.Room}
			if old, exists := snap.Households[a.hid]; exists {
				h.ContactPhone = old.ContactPhone
			}
			households[a.hid] = h
			hOrder = append(hOrder, a.hid)
		}
		if h.ContactPhone == "" && a.row.Phone != "" {
			h.ContactPhone = a.row.Phone
		}

		flags := slices.Clone(a.row.Flags)
		slices.Sort(flags)
		res := Resident{ID: a.rid, CommunityID: cid, HouseholdID: a.hid, Name: a.row.Name, Phone: a.row.Phone, BirthYear: a.row.BirthYear, Flags: flags}
		old, exists := snap.Residents[a.rid]
		if exists {
			var conflicts []ImportConflict
			res, conflicts = keepCorrections(a.row.Line, old, res)
			report.Conflicts = append(report.Conflicts, conflicts...)
		}
		switch {
		case !exists:
			report.Residents.Created++
			changes.Residents = append(changes.Residents, res)
		case !sameResident(old, res):
			report.Residents.Updated++
			changes.Residents = append(changes.Residents, res)
		default:
			report.Residents.Unchanged++
		}
		if exists && old.Phone != "" && old.Phone != res.Phone {
			changes.Releases = append(changes.Releases, PhoneRelease{Phone: old.Phone, ResidentID: a.rid})
		}
		if res.Phone != "" && lineOfPhone[res.Phone] == a.row.Line && res.Current() {
			resident := auth.Principal{UserID: a.rid, Role: manifest.RoleResident, HouseholdID: a.hid, ResidentID: a.rid, ResidentCommunityID: cid}
			acct, held := snap.Accounts[res.Phone]
			switch {
			case !held:
				changes.Accounts = append(changes.Accounts, auth.Account{Phone: res.Phone, Name: res.Name, Principal: resident.Normalized()})
			case !acct.Has(manifest.RoleResident) && (acct.StaffCommunityID == cid || acct.VolunteerCommunityID == cid):
				p := acct.Principal
				p.HouseholdID, p.ResidentID, p.ResidentCommunityID, p.Role, p.Roles = a.hid, a.rid, cid, "", nil
				changes.Attach = append(changes.Attach, auth.Account{Phone: acct.Phone, Name: acct.Name, Principal: p.Normalized()})
			}
		}
	}
	for _, id := range bOrder {
		b := buildings[id]
		slices.Sort(b.Units)
		old, exists := snap.Buildings[id]
		switch {
		case !exists:
			report.Buildings.Created++
			changes.Buildings = append(changes.Buildings, *b)
		case !slices.Equal(old.Units, b.Units) || old.Name != b.Name:
			report.Buildings.Updated++
			changes.Buildings = append(changes.Buildings, *b)
		default:
			report.Buildings.Unchanged++
		}
	}
	for _, id := range hOrder {
		h := households[id]
		old, exists := snap.Households[id]
		switch {
		case !exists:
			report.Households.Created++
			changes.Households = append(changes.Households, *h)
		case old != *h:
			report.Households.Updated++
			changes.Households = append(changes.Households, *h)
		default:
			report.Households.Unchanged++
		}
	}
	return changes, report
}

func sameResident(a, b Resident) bool {
	return a.ID == b.ID && a.CommunityID == b.CommunityID && a.HouseholdID == b.HouseholdID && a.Name == b.Name &&
		a.Phone == b.Phone && a.BirthYear == b.BirthYear && slices.Equal(a.Flags, b.Flags) &&
		a.Status == b.Status && a.Where == b.Where && a.MovedTo == b.MovedTo && slices.Equal(a.Corrected, b.Corrected)
}

func countLines(errs []apperr.FieldError) int {
	lines := map[int]bool{}
	for _, e := range errs {
		lines[e.Line] = true
	}
	return len(lines)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
