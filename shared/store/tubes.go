package store

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/registry"
)

type tubeItem struct {
	keys
	Code       string `dynamodbav:"code"`
	RoundID    string `dynamodbav:"roundId"`
	Size       int    `dynamodbav:"size"`
	Count      int    `dynamodbav:"count"`
	Level      string `dynamodbav:"level"`
	Household  string `dynamodbav:"household,omitempty"`
	SiteID     string `dynamodbav:"siteId,omitempty"`
	Result     string `dynamodbav:"result,omitempty"`
	ResultAt   string `dynamodbav:"resultAt,omitempty"`
	ResultedBy string `dynamodbav:"resultedBy,omitempty"`
	Single     string `dynamodbav:"single,omitempty"`
}

func (it tubeItem) domain() booking.Tube {
	return booking.Tube{Code: it.Code, RoundID: it.RoundID, Size: it.Size, Count: it.Count, Level: it.Level, Household: it.Household,
		SiteID: it.SiteID, Result: it.Result, ResultAt: optionalTime(it.ResultAt), ResultedBy: it.ResultedBy, Single: it.Single}
}

type tubeMemberItem struct {
	keys
	ResidentID  string `dynamodbav:"residentId"`
	HouseholdID string `dynamodbav:"householdId"`
	At          string `dynamodbav:"sampledAt"`
	Position    int    `dynamodbav:"position,omitempty"`
}

// tubeWrites are the check-in's writes of its tube: one more swab in the
// tube (refused when full, of another zone level or household, or with its
// result), the swab's member record, and the lane's current tube.
func (s *Store) tubeWrites(sm booking.Sample, householdID string) ([]types.TransactWriteItem, error) {
	names := map[string]string{"#n": "count", "#size": "size", "#level": "level", "#type": "type", "#code": "code", "#round": "roundId",
		"#result": "result"}
	values := map[string]types.AttributeValue{":one": n64(1), ":size": n64(sm.TubeSize), ":level": str(sm.TubeLevel), ":t": str("tube"),
		":code": str(sm.Tube), ":round": str(sm.RoundID)}
	set := "SET #size = if_not_exists(#size, :size), #level = if_not_exists(#level, :level), #type = :t, #code = :code, #round = :round"
	cond := "attribute_not_exists(PK) OR (#n < #size AND #level = :level AND attribute_not_exists(#result)"
	if sm.SiteID != "" {
		names["#site"], values[":site"] = "siteId", str(sm.SiteID)
		set += ", #site = if_not_exists(#site, :site)"
	}
	if sm.TubeHousehold != "" {
		names["#hh"], values[":hh"] = "household", str(sm.TubeHousehold)
		set += ", #hh = if_not_exists(#hh, :hh)"
		cond += " AND #hh = :hh"
	}
	cond += ")"
	member, err := record(tubeMemberItem{keys: keys{PK: TubeMemberKey(sm.RoundID, sm.Tube, sm.ResidentID).PK,
		SK: TubeMemberKey(sm.RoundID, sm.Tube, sm.ResidentID).SK, Type: "tubeMember"},
		ResidentID: sm.ResidentID, HouseholdID: householdID, At: formatTime(sm.At), Position: sm.Position})
	if err != nil {
		return nil, err
	}
	out := []types.TransactWriteItem{
		{Update: &types.Update{TableName: aws.String(s.Table), Key: TubeKey(sm.RoundID, sm.Tube).av(),
			UpdateExpression: aws.String(set + " ADD #n :one"), ConditionExpression: aws.String(cond),
			ExpressionAttributeNames: names, ExpressionAttributeValues: values}},
		{Put: &types.Put{TableName: aws.String(s.Table), Item: member}},
	}
	if sm.Lane > 0 && sm.SiteID != "" {
		k := LaneTubeKey(sm.RoundID, sm.SiteID, sm.Lane)
		out = append(out, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: map[string]types.AttributeValue{
			"PK": str(k.PK), "SK": str(k.SK), "type": str("laneTube"), "tube": str(sm.Tube)}}})
	}
	return out, nil
}

// BindTube puts an earlier sample into its tube (the sampling system's
// export comes after the site's check-in): the sample gains its tube, the
// tube one more swab, in one transaction; ErrTubeRefused when the tube
// takes no more, booking.ErrConflict when the sample has a tube already
// or is gone.
func (s *Store) BindTube(ctx context.Context, sm booking.Sample) error {
	k := SampledKey(sm.RoundID, sm.ResidentID)
	items := []types.TransactWriteItem{{Update: &types.Update{TableName: aws.String(s.Table), Key: k.av(),
		UpdateExpression:          aws.String("SET #tube = :tube"),
		ConditionExpression:       aws.String("attribute_exists(PK) AND attribute_not_exists(#tube)"),
		ExpressionAttributeNames:  map[string]string{"#tube": "tube"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":tube": str(sm.Tube)}}}}
	tube, err := s.tubeWrites(booking.Sample{RoundID: sm.RoundID, ResidentID: sm.ResidentID, At: sm.At, SiteID: sm.SiteID, Tube: sm.Tube,
		TubeSize: sm.TubeSize, TubeLevel: sm.TubeLevel, TubeHousehold: sm.TubeHousehold}, registry.HouseholdOf(sm.ResidentID))
	if err != nil {
		return err
	}
	err = s.transact(ctx, append(items, tube...))
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		if failed(tce, 0) {
			return booking.ErrConflict
		}
		if failed(tce, 1) {
			return booking.ErrTubeRefused
		}
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// LaneTube reads the tube a lane is filling.
func (s *Store) LaneTube(ctx context.Context, roundID, siteID string, lane int) (string, error) {
	var it struct {
		Tube string `dynamodbav:"tube"`
	}
	err := s.get(ctx, LaneTubeKey(roundID, siteID, lane), &it)
	if errors.Is(err, errNotFound) {
		return "", nil
	}
	return it.Tube, err
}

// Tube reads a tube with its members (one Query of its prefix).
func (s *Store) Tube(ctx context.Context, roundID, code string) (booking.Tube, []booking.TubeMember, error) {
	var it tubeItem
	if err := s.get(ctx, TubeKey(roundID, code), &it); err != nil {
		if errors.Is(err, errNotFound) {
			return booking.Tube{}, nil, booking.ErrNotFound
		}
		return booking.Tube{}, nil, err
	}
	members := []booking.TubeMember{}
	err := s.queryPrefix(ctx, RoundKey(roundID).PK, "TUBEM#"+code+"#", func(av map[string]types.AttributeValue) error {
		var m tubeMemberItem
		if err := readRecord(av, &m); err != nil {
			return err
		}
		members = append(members, booking.TubeMember{ResidentID: m.ResidentID, HouseholdID: m.HouseholdID, At: parseTime(m.At), Position: m.Position})
		return nil
	})
	return it.domain(), members, err
}

// Tubes reads every tube of a round (without members).
func (s *Store) Tubes(ctx context.Context, roundID string) (map[string]booking.Tube, error) {
	out := map[string]booking.Tube{}
	err := s.queryPrefix(ctx, RoundKey(roundID).PK, "TUBE#", func(av map[string]types.AttributeValue) error {
		var it tubeItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out[it.Code] = it.domain()
		return nil
	})
	return out, err
}

// SampleTubes reads the tubes of some residents' samples (BatchGetItem).
func (s *Store) SampleTubes(ctx context.Context, roundID string, residentIDs []string) (map[string]string, error) {
	keys := make([]Key, 0, len(residentIDs))
	for _, id := range residentIDs {
		keys = append(keys, SampledKey(roundID, id))
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, av := range items {
		var it sampledItem
		if err := readRecord(av, &it); err != nil {
			return nil, err
		}
		if it.Tube != "" {
			out[it.ResidentID] = it.Tube
		}
	}
	return out, nil
}
