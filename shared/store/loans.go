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
	return out, s.queryIndex(ctx, index, pk, "", collectDocuments(&out))
}

// LoanGuard reads a volunteer's lending guard, strongly consistent: the
// zero guard before any decision.
func (s *Store) LoanGuard(ctx context.Context, vid string) (volunteers.Guard, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: LoanGuardKey(vid).av(), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return volunteers.Guard{}, unavailable(err)
	}
	var g volunteers.Guard
	if out.Item == nil {
		return g, nil
	}
	return g, readDocument(out.Item, &g)
}

// DecideLoan writes a loan's decision over its request and the volunteer's
// guard over the version read, in one transaction.
func (s *Store) DecideLoan(ctx context.Context, l volunteers.Loan, read int, next volunteers.Guard) error {
	item, err := loanItem(l)
	if err != nil {
		return err
	}
	k := LoanGuardKey(l.VolunteerID)
	guard, err := document(keys{PK: k.PK, SK: k.SK, Type: "loanguard"}, next)
	if err != nil {
		return err
	}
	cond, vals := versioned(read)
	err = s.transact(ctx, []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.Table), Item: item, ConditionExpression: aws.String("#s = :requested"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":requested": str(volunteers.LoanRequested)}}},
		{Put: &types.Put{TableName: aws.String(s.Table), Item: guard, ConditionExpression: aws.String(cond), ExpressionAttributeValues: vals}},
	})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && failed(tce, 0) {
		return volunteers.ErrLoanDecided
	}
	if errors.As(err, &tce) && failed(tce, 1) {
		return volunteers.ErrGuardMoved
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}
