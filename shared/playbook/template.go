package playbook

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/safetext"
)

// Playbook templates: "谁来都是一套标准，谁干都是同样规程". A street keeps
// templates its communities copy and adapt; a community's playbook says
// which template and version it came from and what it changed since.

// Template is a street's playbook template: steps that name no building
// and no post of any community.
type Template struct {
	ID            string     `json:"id"`
	StreetID      string     `json:"streetId"`
	Name          string     `json:"name"`
	Emergency     []Step     `json:"emergency"`
	Normal        []Step     `json:"normal"`
	RetentionDays int        `json:"retentionDays"`
	Version       int        `json:"version"`
	UpdatedAt     *time.Time `json:"updatedAt,omitempty"`
	UpdatedBy     string     `json:"updatedBy,omitempty"`
}

// Base is the template a playbook was copied from, as it was then.
type Base struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Version   int    `json:"version"`
	Emergency []Step `json:"emergency"`
	Normal    []Step `json:"normal"`
}

// Changes are a playbook's steps against its template's: added (not in
// the template), removed (in it, not here) and changed, by step id.
type Changes struct {
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
	Changed []string `json:"changed"`
}

// TemplateStore keeps templates.
type TemplateStore interface {
	PlaybookTemplate(ctx context.Context, sid, id string) (Template, error)
	PlaybookTemplates(ctx context.Context, sid string) ([]Template, error)
	// PutPlaybookTemplate writes over version prev (0: a new one);
	// ErrChanged otherwise.
	PutPlaybookTemplate(ctx context.Context, t Template, prev int) error
}

// Errors of templates.
var (
	ErrTemplateNotFound = apperr.New(apperr.KindNotFound, "TEMPLATE_NOT_FOUND", "预案模板不存在", "No such playbook template")
	ErrNotNeutral       = apperr.New(apperr.KindInvalid, "TEMPLATE_NOT_NEUTRAL", "模板不能指定具体楼栋或岗位，请在社区预案中补充", "A template names no building and no post: a community's playbook adds them")
)

// neutral finds what in a template's steps is one community's.
func neutral(emergency, normal []Step) []apperr.FieldError {
	var fields []apperr.FieldError
	for _, list := range []struct {
		name  string
		steps []Step
	}{{"emergency", emergency}, {"normal", normal}} {
		for i, st := range list.steps {
			a := st.Action
			if a == nil {
				continue
			}
			at := fmt.Sprintf("%s[%d].action", list.name, i)
			if len(a.BuildingIDs) > 0 {
				fields = append(fields, apperr.FieldError{Field: at + ".buildingIds", Reason: "no buildings in a template"})
			}
			if a.Kind == ActionSealBuildings {
				fields = append(fields, apperr.FieldError{Field: at + ".kind", Reason: "no sealing in a template: a community names its buildings"})
			}
			if a.Activation != nil && len(a.Activation.PostIDs) > 0 {
				fields = append(fields, apperr.FieldError{Field: at + ".activation.postIds", Reason: "no posts in a template"})
			}
			if a.Notice != nil && len(a.Notice.BuildingIDs) > 0 {
				fields = append(fields, apperr.FieldError{Field: at + ".notice.buildingIds", Reason: "no buildings in a template"})
			}
		}
	}
	return fields
}

// TemplateInput sets a template.
type TemplateInput struct {
	Name          string `json:"name"`
	Emergency     []Step `json:"emergency"`
	Normal        []Step `json:"normal"`
	RetentionDays int    `json:"retentionDays"`
	// Version is the one read (0 for a new template).
	Version int `json:"version"`
}

// SaveTemplate creates a template (id "") or saves over one (its
// admins): the steps are checked as a playbook's are, and must name no
// building and no post.
func (s *Service) SaveTemplate(ctx context.Context, p auth.Principal, sid, id string, in TemplateInput) (Template, error) {
	if !p.Has(manifest.RoleAdmin) || p.StreetID != sid {
		return Template{}, apperr.Forbidden
	}
	name, prob := safetext.Line(in.Name, 40, true)
	if prob != "" {
		return Template{}, apperr.Validation.WithFields(apperr.FieldError{Field: "name", Reason: string(prob)})
	}
	pb := Playbook{Emergency: nonNilSteps(in.Emergency), Normal: nonNilSteps(in.Normal), RetentionDays: in.RetentionDays}
	if fields := pb.check(); len(fields) > 0 {
		return Template{}, apperr.Validation.WithFields(fields...)
	}
	if fields := neutral(pb.Emergency, pb.Normal); len(fields) > 0 {
		return Template{}, ErrNotNeutral.WithFields(fields...)
	}
	t := Template{ID: id, StreetID: sid, Name: name, Emergency: pb.Emergency, Normal: pb.Normal, RetentionDays: pb.RetentionDays}
	prev := 0
	if id == "" {
		t.ID = registry.NewID("pt")
	} else {
		if !registry.ValidID(id) {
			return Template{}, ErrTemplateNotFound
		}
		stored, err := s.Templates.PlaybookTemplate(ctx, sid, id)
		if err != nil {
			return Template{}, err
		}
		if stored.Version != in.Version {
			return Template{}, ErrChanged
		}
		prev = stored.Version
	}
	now := chinatime.In(s.Now())
	t.Version, t.UpdatedAt, t.UpdatedBy = prev+1, &now, p.UserID
	if err := s.Templates.PutPlaybookTemplate(ctx, t, prev); err != nil {
		return Template{}, err
	}
	audit.Changed(ctx, "playbookTemplate", nil, map[string]any{"template": t.ID, "version": t.Version})
	return t, nil
}

func nonNilSteps(s []Step) []Step {
	if s == nil {
		return []Step{}
	}
	return s
}

// TemplatesOf lists the street's templates (its admins and its
// communities' staff).
func (s *Service) TemplatesOf(ctx context.Context, p auth.Principal, sid string) ([]Template, error) {
	if err := auth.RequireStreetMember(ctx, p, sid, s.Directory); err != nil {
		return nil, err
	}
	ts, err := s.Templates.PlaybookTemplates(ctx, sid)
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	return ts, err
}

// FromTemplateInput copies a template into a community's playbook.
type FromTemplateInput struct {
	TemplateID string `json:"templateId"`
	// Version is the community's playbook version read (0: none yet): a
	// playbook is replaced only knowingly.
	Version int `json:"version"`
}

// FromTemplate makes a community's playbook a copy of one of its street's
// templates, which it then adapts (PUT …/playbook): the playbook names the
// template and version it came from.
func (s *Service) FromTemplate(ctx context.Context, p auth.Principal, cid string, in FromTemplateInput) (Playbook, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return Playbook{}, err
	}
	if !registry.ValidID(in.TemplateID) {
		return Playbook{}, ErrTemplateNotFound
	}
	sid, err := s.Directory.StreetOf(ctx, cid)
	if err != nil {
		return Playbook{}, err
	}
	t, err := s.Templates.PlaybookTemplate(ctx, sid, in.TemplateID)
	if err != nil {
		return Playbook{}, err
	}
	pb := Playbook{CommunityID: cid, Emergency: slices.Clone(t.Emergency), Normal: slices.Clone(t.Normal), RetentionDays: t.RetentionDays,
		Version: in.Version}
	return s.put(ctx, p, cid, pb, &Base{ID: t.ID, Name: t.Name, Version: t.Version, Emergency: t.Emergency, Normal: t.Normal})
}

// changes compares a playbook's steps with its template's.
func (pb Playbook) changes() *Changes {
	if pb.Template == nil {
		return nil
	}
	c := &Changes{Added: []string{}, Removed: []string{}, Changed: []string{}}
	for _, list := range [][2][]Step{{pb.Template.Emergency, pb.Emergency}, {pb.Template.Normal, pb.Normal}} {
		base := map[string]Step{}
		for _, st := range list[0] {
			base[st.ID] = st
		}
		seen := map[string]bool{}
		for _, st := range list[1] {
			seen[st.ID] = true
			b, ok := base[st.ID]
			switch {
			case !ok:
				c.Added = append(c.Added, st.ID)
			case !reflect.DeepEqual(b, st):
				c.Changed = append(c.Changed, st.ID)
			}
		}
		for _, st := range list[0] {
			if !seen[st.ID] {
				c.Removed = append(c.Removed, st.ID)
			}
		}
	}
	return c
}
