package store

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/drill"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/playbook"
	"github.com/fangxian/fangxian/shared/volunteers"
)

var (
	_ playbook.Store      = (*Store)(nil)
	_ drill.Outbox        = (*Store)(nil)
	_ notices.DrillOptIns = (*Store)(nil)
)

// DrillRemoved says whether a drill's data was removed.
func (s *Store) DrillRemoved(ctx context.Context, tag string) (bool, error) {
	_, err := s.getItem(ctx, DrillRemovedKey(tag))
	if errors.Is(err, errNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Playbook reads a community's playbook; false when none was saved.
func (s *Store) Playbook(ctx context.Context, cid string) (playbook.Playbook, bool, error) {
	av, err := s.getItem(ctx, PlaybookKey(cid))
	if errors.Is(err, errNotFound) {
		return playbook.Playbook{}, false, nil
	}
	if err != nil {
		return playbook.Playbook{}, false, err
	}
	var pb playbook.Playbook
	if err := readDocument(av, &pb); err != nil {
		return playbook.Playbook{}, false, err
	}
	return pb, true, nil
}

// PutPlaybook saves a playbook over version prev.
func (s *Store) PutPlaybook(ctx context.Context, pb playbook.Playbook, prev int) error {
	k := PlaybookKey(pb.CommunityID)
	item, err := document(keys{PK: k.PK, SK: k.SK, Type: "playbook"}, pb)
	if err != nil {
		return err
	}
	return changed(s.putVersioned(ctx, item, prev))
}

// changed is err with a lost versioned write as playbook.ErrChanged.
func changed(err error) error {
	if errors.Is(err, errChanged) {
		return playbook.ErrChanged
	}
	return err
}

// modeItem is a community's mode: normal or emergency, and the drill under
// way.
type modeItem struct {
	keys
	CommunityID string `dynamodbav:"communityId"`
	Mode        string `dynamodbav:"mode"`
	Since       when   `dynamodbav:"since,omitempty"`
	RunID       string `dynamodbav:"runId,omitempty"`
	DrillRunID  string `dynamodbav:"drillRunId,omitempty"`
	Version     int    `dynamodbav:"version"`
}

func toModeItem(st playbook.State) modeItem {
	k := ModeKey(st.CommunityID)
	it := modeItem{keys: keys{PK: k.PK, SK: k.SK, Type: "mode"}, CommunityID: st.CommunityID, Mode: st.Mode, RunID: st.RunID,
		DrillRunID: st.DrillRunID, Version: st.Version}
	if st.Since != nil {
		it.Since = stamp(*st.Since)
	}
	return it
}

func (it modeItem) domain() playbook.State {
	st := playbook.State{CommunityID: it.CommunityID, Mode: it.Mode, RunID: it.RunID, DrillRunID: it.DrillRunID, Version: it.Version}
	if t := it.Since.time(); !t.IsZero() {
		st.Since = &t
	}
	return st
}

// Mode reads a community's state; normal when it never switched.
func (s *Store) Mode(ctx context.Context, cid string) (playbook.State, error) {
	av, err := s.getItem(ctx, ModeKey(cid))
	if errors.Is(err, errNotFound) {
		return playbook.State{CommunityID: cid, Mode: playbook.ModeNormal}, nil
	}
	if err != nil {
		return playbook.State{}, err
	}
	var it modeItem
	if err := readRecord(av, &it); err != nil {
		return playbook.State{}, err
	}
	return it.domain(), nil
}

func runItem(r playbook.Run) (map[string]types.AttributeValue, error) {
	k, ix := RunKey(r.ID), RunsIndex(r.CommunityID, r.StartedAt, r.ID)
	return document(keys{PK: k.PK, SK: k.SK, GSI1PK: ix.PK, GSI1SK: ix.SK, Type: "run"}, r)
}

// StartRun writes a new run and the community's new state together, if
// the state is still at version prev.
func (s *Store) StartRun(ctx context.Context, st playbook.State, prev int, run playbook.Run) error {
	state, err := record(toModeItem(st))
	if err != nil {
		return err
	}
	ri, err := runItem(run)
	if err != nil {
		return err
	}
	cond, vals := versioned(prev)
	err = s.transact(ctx, []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.Table), Item: state, ConditionExpression: aws.String(cond), ExpressionAttributeValues: vals}},
		{Put: &types.Put{TableName: aws.String(s.Table), Item: ri, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && failed(tce, 0) {
		return playbook.ErrChanged
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// SetMode writes a community's state over version prev.
func (s *Store) SetMode(ctx context.Context, st playbook.State, prev int) error {
	item, err := record(toModeItem(st))
	if err != nil {
		return err
	}
	return changed(s.putVersioned(ctx, item, prev))
}

// Run reads a run.
func (s *Store) Run(ctx context.Context, id string) (playbook.Run, error) {
	av, err := s.getItem(ctx, RunKey(id))
	if errors.Is(err, errNotFound) {
		return playbook.Run{}, playbook.ErrRunNotFound
	}
	if err != nil {
		return playbook.Run{}, err
	}
	var r playbook.Run
	if err := readDocument(av, &r); err != nil {
		return playbook.Run{}, err
	}
	return r, nil
}

// SaveRun writes a run over version prev.
func (s *Store) SaveRun(ctx context.Context, r playbook.Run, prev int) error {
	item, err := runItem(r)
	if err != nil {
		return err
	}
	return changed(s.putVersioned(ctx, item, prev))
}

// Runs lists a community's latest runs, newest first (GSI1).
func (s *Store) Runs(ctx context.Context, cid string, limit int) ([]playbook.Run, error) {
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.Table), IndexName: aws.String("GSI1"),
		KeyConditionExpression:    aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(RunsIndex(cid, time.Time{}, "").PK)},
		ScanIndexForward:          aws.Bool(false), Limit: aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, unavailable(err)
	}
	runs := []playbook.Run{}
	for _, av := range out.Items {
		var r playbook.Run
		if err := readDocument(av, &r); err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// drillSMSItem is a message of a drill's outbox.
type drillSMSItem struct {
	keys
	RunID    string `dynamodbav:"runId"`
	ID       string `dynamodbav:"id"`
	To       string `dynamodbav:"to"`
	Template string `dynamodbav:"template"`
	Purpose  string `dynamodbav:"purpose"`
	Body     string `dynamodbav:"body"`
	Parts    int    `dynamodbav:"parts"`
	At       when   `dynamodbav:"at"`
}

// AppendDrillSMS keeps messages in their drill's outbox.
func (s *Store) AppendDrillSMS(ctx context.Context, sent []drill.Sent) error {
	reqs := make([]types.WriteRequest, 0, len(sent))
	for _, m := range sent {
		k := DrillSMSKey(m.RunID, m.At, m.ID)
		item, err := record(drillSMSItem{keys: keys{PK: k.PK, SK: k.SK, Type: "drillSms"}, RunID: m.RunID, ID: m.ID, To: m.To,
			Template: m.Template, Purpose: m.Purpose, Body: m.Body, Parts: m.Parts, At: stamp(m.At)})
		if err != nil {
			return err
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
	}
	return s.batchWrite(ctx, reqs)
}

// DrillOutbox lists a drill's messages, oldest first.
func (s *Store) DrillOutbox(ctx context.Context, tag string) ([]drill.Sent, error) {
	var out []drill.Sent
	err := s.queryPrefix(ctx, "DRILL#"+tag, "SMS#", func(av map[string]types.AttributeValue) error {
		var it drillSMSItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out = append(out, drill.Sent{RunID: it.RunID, ID: it.ID, To: it.To, Template: it.Template, Purpose: it.Purpose,
			Body: it.Body, Parts: it.Parts, At: it.At.time()})
		return nil
	})
	return out, err
}

// DrillOptIn says whether a resident takes part in drills.
func (s *Store) DrillOptIn(ctx context.Context, userID string) (bool, error) {
	_, err := s.getItem(ctx, DrillOptInKey(userID))
	if errors.Is(err, errNotFound) {
		return false, nil
	}
	return err == nil, err
}

// SetDrillOptIn records whether a resident takes part in drills.
func (s *Store) SetDrillOptIn(ctx context.Context, userID string, in bool) error {
	k := DrillOptInKey(userID)
	var err error
	if in {
		item := k.av()
		item["type"] = str("drillOptIn")
		_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item})
	} else {
		_, err = s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: k.av()})
	}
	return unavailableUnlessGone(err)
}

// RemoveDrillData deletes a drill's rounds (with their sites, slots,
// bookings, codes, check-ins and plans), notices (with their feed entries,
// acknowledgements and sends), activations (with their asks and scope
// locks) and its outbox. It answers the items deleted; run twice, the
// second finds nothing.
func (s *Store) RemoveDrillData(ctx context.Context, tag string, c playbook.Created) (int, error) {
	// First the mark, so that what the drill's queue still sends is dropped.
	mark := DrillRemovedKey(tag).av()
	mark["type"], mark["expiresAt"] = str("drillRemoved"), n(time.Now().Add(30*24*time.Hour).Unix())
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: mark}); err != nil {
		return 0, unavailable(err)
	}
	var doomed []Key
	partition := func(pk string) error {
		return s.queryPrefix(ctx, pk, "", func(av map[string]types.AttributeValue) error {
			k := Key{PK: av["PK"].(*types.AttributeValueMemberS).Value, SK: av["SK"].(*types.AttributeValueMemberS).Value}
			if k != DrillRemovedKey(tag) {
				doomed = append(doomed, k)
			}
			return nil
		})
	}
	for _, id := range c.Rounds {
		if err := partition(RoundKey(id).PK); err != nil {
			return 0, err
		}
	}
	for _, id := range c.Notices {
		n, _, err := s.Notice(ctx, id)
		if err == nil {
			doomed = append(doomed, FeedKey(n.CommunityID, n.CreatedAt, n.ID))
		} else if !errors.Is(err, notices.ErrNotFound) {
			return 0, err
		}
		if err := partition(NoticeKey(id).PK); err != nil {
			return 0, err
		}
	}
	for _, id := range c.Activations {
		a, _, err := s.Activation(ctx, id)
		if err == nil && a.Drill != "" {
			doomed = append(doomed, ActivationLockKey(a.CommunityID, volunteers.LockScope(a)))
		}
		if err := partition(ActivationKey(id).PK); err != nil {
			return 0, err
		}
	}
	if err := partition("DRILL#" + tag); err != nil {
		return 0, err
	}
	reqs := make([]types.WriteRequest, 0, len(doomed))
	for _, k := range doomed {
		reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k.av()}})
	}
	return len(doomed), s.batchWrite(ctx, reqs)
}

// PlaybookTemplate reads a street's playbook template;
// playbook.ErrTemplateNotFound.
func (s *Store) PlaybookTemplate(ctx context.Context, sid, id string) (playbook.Template, error) {
	av, err := s.getItem(ctx, PlaybookTemplateKey(sid, id))
	if errors.Is(err, errNotFound) {
		return playbook.Template{}, playbook.ErrTemplateNotFound
	}
	if err != nil {
		return playbook.Template{}, err
	}
	var t playbook.Template
	return t, readDocument(av, &t)
}

// PlaybookTemplates lists a street's templates: one Query.
func (s *Store) PlaybookTemplates(ctx context.Context, sid string) ([]playbook.Template, error) {
	out := []playbook.Template{}
	return out, s.queryPrefix(ctx, StreetKey(sid).PK, "PBTEMPLATE#", collectDocuments(&out))
}

// PutPlaybookTemplate writes a template over version prev.
func (s *Store) PutPlaybookTemplate(ctx context.Context, t playbook.Template, prev int) error {
	k := PlaybookTemplateKey(t.StreetID, t.ID)
	item, err := document(keys{PK: k.PK, SK: k.SK, Type: "playbooktemplate"}, t)
	if err != nil {
		return err
	}
	return changed(s.putVersioned(ctx, item, prev))
}
