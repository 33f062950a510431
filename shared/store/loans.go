package store

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/volunteers"
)

func loanItem(l volunteers.Loan) (map[string]types.AttributeValue, error) {
	k, to, from := LoanKey(l.ID), LoansToIndex(l.CommunityID, l.From, l.ID), LoansFromIndex(l.HomeCommunityID, l.From, l.ID)
	return document(keys{PK: k.PK, SK: k.SK, GSI1PK: to.PK, GSI1SK: to.SK, GSI2PK: from.PK, GSI2SK: from.SK, Type: "loan"}, l)
}

// CreateLoan writes a new loan of a volunteer.
func (s *Store) CreateLoan(ctx context.Context, l volunteers.Loan) error {
	item, err := loanItem(l)
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Loan reads a loan; volunteers.ErrLoanNotFound.
func (s *Store) Loan(ctx context.Context, id string) (volunteers.Loan, error) {
	av, err := s.getItem(ctx, LoanKey(id))
	if errors.Is(err, errNotFound) {
		return volunteers.Loan{}, volunteers.ErrLoanNotFound
	}
	if err != nil {
		return volunteers.Loan{}, err
	}
	var l volunteers.Loan
	return l, readDocument(av, &l)
}

// LoansTo lists the loans to a community (GSI1): one Query.
func (s *Store) LoansTo(ctx context.Context, cid string) ([]volunteers.Loan, error) {
	return s.loans(ctx, "GSI1", LoansToIndex(cid, time.Time{}, "").PK)
}

// LoansFrom lists the loans of a community's volunteers (GSI2): one Query.
func (s *Store) LoansFrom(ctx context.Context, cid string) ([]volunteers.Loan, error) {
	return s.loans(ctx, "GSI2", LoansFromIndex(cid, time.Time{}, "").PK)
}

func (s *Store) loans(ctx context.Context, index, pk string) ([]volunteers.Loan, error) {
	out := []volunteers.Loan{}
	err := s.queryIndex(ctx, index, pk, "", func(av map[string]types.AttributeValue) error {
		var l volunteers.Loan
		if err := readDocument(av, &l); err != nil {
			return err
		}
		out = append(out, l)
		return nil
	})
	return out, err
}

// DecideLoan writes a loan's decision over its request: false when it was
// decided meanwhile.
func (s *Store) DecideLoan(ctx context.Context, l volunteers.Loan) (bool, error) {
	item, err := loanItem(l)
	if err != nil {
		return false, err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item,
		ConditionExpression:       aws.String("#s = :requested"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":requested": str(volunteers.LoanRequested)}})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(err)
	}
	return true, nil
}
