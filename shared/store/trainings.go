package store

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/volunteers"
)

// CreateTraining writes a street's training.
func (s *Store) CreateTraining(ctx context.Context, t volunteers.Training) error {
	k, ix := TrainingKey(t.ID), TrainingsIndex(t.StreetID, t.Day, t.ID)
	item, err := document(keys{PK: k.PK, SK: k.SK, GSI1PK: ix.PK, GSI1SK: ix.SK, Type: "training"}, t)
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")}); err != nil {
		return unavailable(err)
	}
	return nil
}

// Training reads a training; volunteers.ErrTrainingNotFound.
func (s *Store) Training(ctx context.Context, id string) (volunteers.Training, error) {
	av, err := s.getItem(ctx, TrainingKey(id))
	if errors.Is(err, errNotFound) {
		return volunteers.Training{}, volunteers.ErrTrainingNotFound
	}
	if err != nil {
		return volunteers.Training{}, err
	}
	var t volunteers.Training
	return t, readDocument(av, &t)
}

// Trainings lists a street's trainings (GSI1): one Query.
func (s *Store) Trainings(ctx context.Context, sid string) ([]volunteers.Training, error) {
	out := []volunteers.Training{}
	return out, s.queryIndex(ctx, "GSI1", TrainingsIndex(sid, "", "").PK, "", collectDocuments(&out))
}

// Attend writes each attendance where there is none, and adds the new ones
// to the training's count: it answers how many were new.
func (s *Store) Attend(ctx context.Context, as []volunteers.Attendance) (int, error) {
	n := 0
	for _, a := range as {
		k, ix := AttendanceKey(a.TrainingID, a.VolunteerID), VolunteerTrainingsIndex(a.VolunteerID, a.Day, a.TrainingID)
		item, err := document(keys{PK: k.PK, SK: k.SK, GSI1PK: ix.PK, GSI1SK: ix.SK, Type: "attendance"}, a)
		if err != nil {
			return n, err
		}
		// The attendance and the count move together, or neither.
		err = s.transact(ctx, []types.TransactWriteItem{
			{Put: &types.Put{TableName: aws.String(s.Table), Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
			{Update: &types.Update{TableName: aws.String(s.Table), Key: TrainingKey(a.TrainingID).av(),
				UpdateExpression: aws.String("ADD attended :one"), ConditionExpression: aws.String("attribute_exists(PK)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":one": n64(1)}}},
		})
		var tce *types.TransactionCanceledException
		if errors.As(err, &tce) && failed(tce, 0) {
			continue // attended already
		}
		if errors.As(err, &tce) && failed(tce, 1) {
			return n, volunteers.ErrTrainingNotFound
		}
		if err != nil {
			return n, unavailable(err)
		}
		n++
	}
	return n, nil
}

// Attended lists a volunteer's trainings (GSI1): one Query.
func (s *Store) Attended(ctx context.Context, vid string) ([]volunteers.Attendance, error) {
	out := []volunteers.Attendance{}
	return out, s.queryIndex(ctx, "GSI1", VolunteerTrainingsIndex(vid, "", "").PK, "", collectDocuments(&out))
}

// TrainingRules reads the post kinds of a street that require a training.
func (s *Store) TrainingRules(ctx context.Context, sid string) (volunteers.TrainingRules, error) {
	av, err := s.getItem(ctx, TrainingRulesKey(sid))
	if errors.Is(err, errNotFound) {
		return volunteers.TrainingRules{StreetID: sid, Required: []string{}}, nil
	}
	if err != nil {
		return volunteers.TrainingRules{}, err
	}
	var r volunteers.TrainingRules
	return r, readDocument(av, &r)
}

// PutTrainingRules writes them.
func (s *Store) PutTrainingRules(ctx context.Context, r volunteers.TrainingRules) error {
	k := TrainingRulesKey(r.StreetID)
	item, err := document(keys{PK: k.PK, SK: k.SK, Type: "trainingrules"}, r)
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item}); err != nil {
		return unavailable(err)
	}
	return nil
}

// Served lists a volunteer's checked-out shifts: one Query of their
// partition.
func (s *Store) Served(ctx context.Context, vid string) ([]volunteers.Checkin, error) {
	out := []volunteers.Checkin{}
	err := s.queryPrefix(ctx, VolunteerKey(vid).PK, "HOURS#", func(av map[string]types.AttributeValue) error {
		var it checkinItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out = append(out, it.domain())
		return nil
	})
	return out, err
}
