package store

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/care"
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
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: CarePlanKey(cid, rid).av(),
		ConditionExpression: aws.String("attribute_exists(PK)")})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(err)
	}
	return true, nil
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
func (s *Store) RecordCareCheckHelp(ctx context.Context, cid, day, rid, helpID string) (bool, error) {
	return s.updateIf(ctx, CareCheckKey(cid, day, rid), "SET helpId = :h", "attribute_exists(PK) AND attribute_not_exists(helpId)",
		nil, map[string]types.AttributeValue{":h": str(helpID)})
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
			By: it.By, HelpID: it.HelpID})
		return nil
	})
}

type careTripItem struct {
	keys
	ResidentID string `dynamodbav:"residentId"`
	Day        string `dynamodbav:"day"`
	Need       int    `dynamodbav:"need"`
	Driver     string `dynamodbav:"driver,omitempty"`
	Phone      string `dynamodbav:"phone,omitempty"`
	Plate      string `dynamodbav:"plate,omitempty"`
	HelpID     string `dynamodbav:"helpId,omitempty"`
}

// SetCareCar gives a day's trip its car (its help request, if any, stays
// recorded).
func (s *Store) SetCareCar(ctx context.Context, cid string, t care.Trip) error {
	k := CareTripKey(cid, t.Day, t.ResidentID, t.Need)
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: k.av(),
		UpdateExpression:         aws.String("SET #t = :type, residentId = :r, #d = :day, need = :n, driver = :driver, phone = :phone, plate = :plate"),
		ExpressionAttributeNames: map[string]string{"#t": "type", "#d": "day"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":type": str("careTrip"), ":r": str(t.ResidentID), ":day": str(t.Day), ":n": n64(t.Need),
			":driver": str(t.Car.Driver), ":phone": str(t.Car.Phone), ":plate": str(t.Car.Plate)}})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// RecordCareTripHelp records a trip's help request where it has neither a car
// nor a request.
func (s *Store) RecordCareTripHelp(ctx context.Context, cid string, t care.Trip) (bool, error) {
	k := CareTripKey(cid, t.Day, t.ResidentID, t.Need)
	return s.updateIf(ctx, k, "SET #t = :type, residentId = :r, #d = :day, need = :n, helpId = :h", "attribute_not_exists(driver) AND attribute_not_exists(helpId)",
		map[string]string{"#t": "type", "#d": "day"},
		map[string]types.AttributeValue{":type": str("careTrip"), ":r": str(t.ResidentID), ":day": str(t.Day), ":n": n64(t.Need), ":h": str(t.HelpID)})
}

// CareTrips reads the cars and help requests given to a day's trips.
func (s *Store) CareTrips(ctx context.Context, cid, day string) ([]care.Trip, error) {
	var out []care.Trip
	return out, s.queryPrefix(ctx, CommunityKey(cid).PK, CareTripsOf(day), func(av map[string]types.AttributeValue) error {
		var it careTripItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		t := care.Trip{ResidentID: it.ResidentID, Day: it.Day, Need: it.Need, HelpID: it.HelpID}
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
