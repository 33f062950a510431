package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/care"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/dispatch"
)

var _ care.Store = (*Store)(nil)

type needItem struct {
	Kind       string `dynamodbav:"kind"`
	Weekdays   []int  `dynamodbav:"weekdays"`
	At         string `dynamodbav:"at"`
	Minutes    int    `dynamodbav:"minutes"`
	Place      string `dynamodbav:"place"`
	HospitalID string `dynamodbav:"hospitalId,omitempty"`
	NeedsCar   bool   `dynamodbav:"needsCar"`
}

type planItem struct {
	keys
	ResidentID   string     `dynamodbav:"residentId"`
	CommunityID  string     `dynamodbav:"communityId"`
	HouseholdID  string     `dynamodbav:"householdId"`
	Name         string     `dynamodbav:"name"`
	Door         string     `dynamodbav:"door"`
	Phone        string     `dynamodbav:"phone,omitempty"`
	DueDate      string     `dynamodbav:"dueDate,omitempty"`
	Needs        []needItem `dynamodbav:"needs"`
	ContactName  string     `dynamodbav:"contactName,omitempty"`
	ContactPhone string     `dynamodbav:"contactPhone,omitempty"`
	DailyCheck   bool       `dynamodbav:"dailyCheck"`
	UpdatedAt    when       `dynamodbav:"updatedAt"`
	UpdatedBy    string     `dynamodbav:"updatedBy"`
}

func (it planItem) domain() care.Plan {
	p := care.Plan{ResidentID: it.ResidentID, CommunityID: it.CommunityID, HouseholdID: it.HouseholdID, Name: it.Name, Door: it.Door, Phone: it.Phone,
		DueDate: it.DueDate, DailyCheck: it.DailyCheck, UpdatedAt: it.UpdatedAt.time(), UpdatedBy: it.UpdatedBy, Needs: []care.Need{}}
	for _, n := range it.Needs {
		p.Needs = append(p.Needs, care.Need{Kind: n.Kind, Weekdays: n.Weekdays, At: n.At, Minutes: n.Minutes, Place: n.Place, HospitalID: n.HospitalID, NeedsCar: n.NeedsCar})
	}
	if it.ContactPhone != "" {
		p.Contact = &care.Contact{Name: it.ContactName, Phone: it.ContactPhone}
	}
	return p
}

// SaveCarePlan writes a person's plan (the one there replaced); every plan is
// on the care index the jobs read.
func (s *Store) SaveCarePlan(ctx context.Context, p care.Plan) error {
	k := CarePlanKey(p.CommunityID, p.ResidentID)
	ix := CarePlansIndex(p.CommunityID, p.ResidentID)
	it := planItem{keys: keys{PK: k.PK, SK: k.SK, GSI2PK: ix.PK, GSI2SK: ix.SK, Type: "carePlan"}, ResidentID: p.ResidentID, CommunityID: p.CommunityID,
		HouseholdID: p.HouseholdID, Name: p.Name, Door: p.Door, Phone: p.Phone, DueDate: p.DueDate, DailyCheck: p.DailyCheck,
		UpdatedAt: stamp(p.UpdatedAt), UpdatedBy: p.UpdatedBy, Needs: []needItem{}}
	for _, n := range p.Needs {
		it.Needs = append(it.Needs, needItem{Kind: n.Kind, Weekdays: n.Weekdays, At: n.At, Minutes: n.Minutes, Place: n.Place, HospitalID: n.HospitalID, NeedsCar: n.NeedsCar})
	}
	if p.Contact != nil {
		it.ContactName, it.ContactPhone = p.Contact.Name, p.Contact.Phone
	}
	av, err := record(it)
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av}); err != nil {
		return unavailable(err)
	}
	return nil
}

// CarePlan reads a person's plan.
func (s *Store) CarePlan(ctx context.Context, cid, rid string) (care.Plan, error) {
	var it planItem
	err := s.get(ctx, CarePlanKey(cid, rid), &it)
	if errors.Is(err, errNotFound) {
		return care.Plan{}, care.ErrNotFound
	}
	if err != nil {
		return care.Plan{}, err
	}
	return it.domain(), nil
}

// DeleteCarePlan removes a person's plan; false when there was none.
func (s *Store) DeleteCarePlan(ctx context.Context, cid, rid string) (bool, error) {
	return s.deleteExisting(ctx, CarePlanKey(cid, rid))
}

// CarePlans reads a community's plans: one Query.
func (s *Store) CarePlans(ctx context.Context, cid string) ([]care.Plan, error) {
	var out []care.Plan
	return out, s.queryPrefix(ctx, CommunityKey(cid).PK, "CAREPLAN#", collect[planItem](&out))
}

// AllCarePlans reads every community's plans (GSI2).
func (s *Store) AllCarePlans(ctx context.Context) ([]care.Plan, error) {
	var out []care.Plan
	return out, s.queryIndex(ctx, "GSI2", CarePlansIndex("", "").PK, "", collect[planItem](&out))
}

type careCheckItem struct {
	keys
	ResidentID string `dynamodbav:"residentId"`
	Day        string `dynamodbav:"day"`
	AskedAt    string `dynamodbav:"askedAt,omitempty"`
	AnsweredAt string `dynamodbav:"answeredAt,omitempty"`
	By         string `dynamodbav:"by,omitempty"`
	HelpID     string `dynamodbav:"helpId,omitempty"`
	ExpiresAt  int64  `dynamodbav:"expiresAt"`
}

// AskCare writes a day's check as asked, with its text, where there is none.
func (s *Store) AskCare(ctx context.Context, cid string, c care.Check, pending *dispatch.Pending) (bool, error) {
	k := CareCheckKey(cid, c.Day, c.ResidentID)
	it := careCheckItem{keys: keys{PK: k.PK, SK: k.SK, Type: "careCheck"}, ResidentID: c.ResidentID, Day: c.Day, ExpiresAt: time.Now().Add(readingLife).Unix()}
	if c.AskedAt != nil {
		it.AskedAt = formatTime(*c.AskedAt)
	}
	av, err := record(it)
	if err != nil {
		return false, err
	}
	exists, err := s.writeWith(ctx, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}}, pending)
	if exists {
		return false, nil
	}
	if err != nil {
		return false, unavailable(err)
	}
	return true, nil
}

// AnswerCare records the answer of a day's asked, unanswered check.
func (s *Store) AnswerCare(ctx context.Context, cid string, c care.Check) (bool, error) {
	return s.updateIf(ctx, CareCheckKey(cid, c.Day, c.ResidentID), "SET answeredAt = :at, #by = :by", "attribute_exists(askedAt) AND attribute_not_exists(answeredAt)",
		map[string]string{"#by": "by"}, map[string]types.AttributeValue{":at": str(formatTime(*c.AnsweredAt)), ":by": str(c.By)})
}

// RecordCareCheckHelp records a check's help request where it has none and
// is still unanswered.
func (s *Store) RecordCareCheckHelp(ctx context.Context, cid, day, rid, claim, helpID string) (bool, error) {
	return s.updateIf(ctx, CareCheckKey(cid, day, rid), "SET helpId = :h", "helpId = :c",
		nil, map[string]types.AttributeValue{":h": str(helpID), ":c": str(claim)})
}

// ClaimCareCheckHelp takes an asked check's help request to raise: where
// it has none, or a claim older than stale (a run that died raising it).
func (s *Store) ClaimCareCheckHelp(ctx context.Context, cid, day, rid, claim, stale string) (bool, error) {
	return s.updateIf(ctx, CareCheckKey(cid, day, rid), "SET helpId = :c",
		"attribute_exists(PK) AND (attribute_not_exists(helpId) OR (begins_with(helpId, :p) AND helpId < :stale))",
		nil, map[string]types.AttributeValue{":c": str(claim), ":p": str(care.ClaimPrefix), ":stale": str(stale)})
}

// ReleaseCareCheckHelp gives back a claim whose request was not raised.
func (s *Store) ReleaseCareCheckHelp(ctx context.Context, cid, day, rid, claim string) error {
	_, err := s.updateIf(ctx, CareCheckKey(cid, day, rid), "REMOVE helpId", "helpId = :c", nil, map[string]types.AttributeValue{":c": str(claim)})
	return err
}

// updateIf updates an item on a condition; false when it did not hold.
func (s *Store) updateIf(ctx context.Context, k Key, expr, cond string, names map[string]string, values map[string]types.AttributeValue) (bool, error) {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: k.av(), UpdateExpression: aws.String(expr),
		ConditionExpression: aws.String(cond), ExpressionAttributeNames: names, ExpressionAttributeValues: values})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(err)
	}
	return true, nil
}

// CareChecks reads a community's daily checks of a day: one Query.
func (s *Store) CareChecks(ctx context.Context, cid, day string) ([]care.Check, error) {
	var out []care.Check
	return out, s.queryPrefix(ctx, CommunityKey(cid).PK, CareChecksOf(day), func(av map[string]types.AttributeValue) error {
		var it careCheckItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out = append(out, care.Check{ResidentID: it.ResidentID, Day: it.Day, AskedAt: optionalTime(it.AskedAt), AnsweredAt: optionalTime(it.AnsweredAt),
			By: it.By, HelpID: unclaimed(it.HelpID)})
		return nil
	})
}

type careTripItem struct {
	keys
	ResidentID string `dynamodbav:"residentId"`
	Day        string `dynamodbav:"day"`
	Need       int    `dynamodbav:"need"`
	// What is the need's kind, time and place when the car or request was
	// given: a plan changed since leaves them with the need they were for.
	What      string `dynamodbav:"what,omitempty"`
	Driver    string `dynamodbav:"driver,omitempty"`
	Phone     string `dynamodbav:"phone,omitempty"`
	Plate     string `dynamodbav:"plate,omitempty"`
	HelpID    string `dynamodbav:"helpId,omitempty"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
}

// tripExpiry is when a day's trip record goes: 30 days after the day, as
// the daily checks do.
func tripExpiry(day string) int64 {
	d, _ := time.ParseInLocation(time.DateOnly, day, chinatime.Zone)
	return d.AddDate(0, 0, 30).Unix()
}

// SetCareCar gives a day's trip its car. A record of the need as it
// stands keeps its help request; one left by another need (the plan
// changed) is replaced whole.
func (s *Store) SetCareCar(ctx context.Context, cid string, t care.Trip) error {
	k := CareTripKey(cid, t.Day, t.ResidentID, t.Need)
	same, err := s.updateIf(ctx, k, "SET driver = :driver, phone = :phone, plate = :plate, expiresAt = :x", "what = :w",
		nil, map[string]types.AttributeValue{":w": str(t.What()), ":driver": str(t.Car.Driver), ":phone": str(t.Car.Phone), ":plate": str(t.Car.Plate),
			":x": n64(int(tripExpiry(t.Day)))})
	if err != nil || same {
		return err
	}
	av, err := record(careTripItem{keys: keys{PK: k.PK, SK: k.SK, Type: "careTrip"}, ResidentID: t.ResidentID, Day: t.Day, Need: t.Need, What: t.What(),
		Driver: t.Car.Driver, Phone: t.Car.Phone, Plate: t.Car.Plate, ExpiresAt: tripExpiry(t.Day)})
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av}); err != nil {
		return unavailable(err)
	}
	return nil
}

// ClaimCareTripHelp takes a trip with no car to raise its help request:
// where the need as it stands has neither car nor request (nor a claim
// younger than stale), or the record is another need's (then cleared).
func (s *Store) ClaimCareTripHelp(ctx context.Context, cid string, t care.Trip, claim, stale string) (bool, error) {
	k := CareTripKey(cid, t.Day, t.ResidentID, t.Need)
	return s.updateIf(ctx, k, "SET #t = :type, residentId = :r, #d = :day, need = :n, what = :w, helpId = :c, expiresAt = :x REMOVE driver, phone, plate",
		"attribute_not_exists(what) OR what <> :w OR (attribute_not_exists(driver) AND (attribute_not_exists(helpId) OR (begins_with(helpId, :p) AND helpId < :stale)))",
		map[string]string{"#t": "type", "#d": "day"},
		map[string]types.AttributeValue{":type": str("careTrip"), ":r": str(t.ResidentID), ":day": str(t.Day), ":n": n64(t.Need), ":w": str(t.What()),
			":c": str(claim), ":p": str(care.ClaimPrefix), ":stale": str(stale), ":x": n64(int(tripExpiry(t.Day)))})
}

// RecordCareTripHelp records the request a claim raised.
func (s *Store) RecordCareTripHelp(ctx context.Context, cid string, t care.Trip, claim string) (bool, error) {
	k := CareTripKey(cid, t.Day, t.ResidentID, t.Need)
	return s.updateIf(ctx, k, "SET helpId = :h", "helpId = :c", nil, map[string]types.AttributeValue{":h": str(t.HelpID), ":c": str(claim)})
}

// ReleaseCareTripHelp gives back a claim whose request was not raised.
func (s *Store) ReleaseCareTripHelp(ctx context.Context, cid string, t care.Trip, claim string) error {
	k := CareTripKey(cid, t.Day, t.ResidentID, t.Need)
	_, err := s.updateIf(ctx, k, "REMOVE helpId", "helpId = :c", nil, map[string]types.AttributeValue{":c": str(claim)})
	return err
}

// CareTrips reads the cars and help requests given to a day's trips.
func (s *Store) CareTrips(ctx context.Context, cid, day string) ([]care.Trip, error) {
	var out []care.Trip
	return out, s.queryPrefix(ctx, CommunityKey(cid).PK, CareTripsOf(day), func(av map[string]types.AttributeValue) error {
		var it careTripItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		t := care.Trip{ResidentID: it.ResidentID, Day: it.Day, Need: it.Need, HelpID: unclaimed(it.HelpID), Given: it.What}
		if it.Driver != "" {
			t.Car = &care.Car{Driver: it.Driver, Phone: it.Phone, Plate: it.Plate}
		}
		out = append(out, t)
		return nil
	})
}

type hospitalItem struct {
	keys
	ID       string `dynamodbav:"id"`
	StreetID string `dynamodbav:"streetId"`
	Name     string `dynamodbav:"name"`
	Phone    string `dynamodbav:"phone"`
	Note     string `dynamodbav:"note,omitempty"`
}

// SaveHospital writes a street's designated hospital.
func (s *Store) SaveHospital(ctx context.Context, h care.Hospital) error {
	k := HospitalKey(h.StreetID, h.ID)
	return s.putNew(ctx, hospitalItem{keys: keys{PK: k.PK, SK: k.SK, Type: "hospital"}, ID: h.ID, StreetID: h.StreetID, Name: h.Name, Phone: h.Phone, Note: h.Note})
}

// DeleteHospital removes a street's designated hospital; false when there
// was none.
func (s *Store) DeleteHospital(ctx context.Context, sid, id string) (bool, error) {
	return s.deleteExisting(ctx, HospitalKey(sid, id))
}

// Hospitals reads a street's designated hospitals: one Query.
func (s *Store) Hospitals(ctx context.Context, sid string) ([]care.Hospital, error) {
	var out []care.Hospital
	return out, s.queryPrefix(ctx, HospitalKey(sid, "").PK, "HOSPITAL#", func(av map[string]types.AttributeValue) error {
		var it hospitalItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out = append(out, care.Hospital{ID: it.ID, StreetID: it.StreetID, Name: it.Name, Phone: it.Phone, Note: it.Note})
		return nil
	})
}

// ResidentCare reads a resident's daily checks and trips (with their cars)
// of some days, for their data export: the checks by key, the trips one
// Query a day.
func (s *Store) ResidentCare(ctx context.Context, cid, rid string, days []string) ([]care.Check, []care.Trip, error) {
	ks := make([]Key, len(days))
	for i, d := range days {
		ks[i] = CareCheckKey(cid, d, rid)
	}
	items, err := s.batchGet(ctx, ks)
	if err != nil {
		return nil, nil, err
	}
	checks := []care.Check{}
	for _, av := range items {
		var it careCheckItem
		if err := readRecord(av, &it); err != nil {
			return nil, nil, err
		}
		checks = append(checks, care.Check{ResidentID: it.ResidentID, Day: it.Day, AskedAt: optionalTime(it.AskedAt),
			AnsweredAt: optionalTime(it.AnsweredAt), By: it.By, HelpID: unclaimed(it.HelpID)})
	}
	slices.SortFunc(checks, func(a, b care.Check) int { return strings.Compare(a.Day, b.Day) })
	trips := []care.Trip{}
	for _, d := range days {
		err := s.queryPrefix(ctx, CommunityKey(cid).PK, CareTripsOf(d)+rid+"#", func(av map[string]types.AttributeValue) error {
			var it careTripItem
			if err := readRecord(av, &it); err != nil {
				return err
			}
			t := care.Trip{ResidentID: it.ResidentID, Day: it.Day, Need: it.Need, HelpID: unclaimed(it.HelpID), Given: it.What}
			if what := strings.SplitN(it.What, "|", 3); len(what) == 3 {
				t.Kind, t.At, t.Place = what[0], what[1], what[2]
			}
			if it.Driver != "" {
				t.Car = &care.Car{Driver: it.Driver, Phone: it.Phone, Plate: it.Plate}
			}
			trips = append(trips, t)
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return checks, trips, nil
}

// unclaimed is a help id as the domain reads it: a job's claim while it
// raises the request is none yet.
func unclaimed(id string) string {
	if strings.HasPrefix(id, care.ClaimPrefix) {
		return ""
	}
	return id
}
