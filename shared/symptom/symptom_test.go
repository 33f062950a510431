package symptom_test

import (
	"slices"
	"testing"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/symptom"
)

func TestClean(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want []string
		code string
	}{
		{nil, []string{"none"}, ""},
		{[]string{"无"}, []string{"none"}, ""},
		{[]string{"乏力", "cough", "咳嗽"}, []string{"cough", "fatigue"}, ""},
		{[]string{" 味觉减退 "}, []string{"smell_taste"}, ""},
		{[]string{"none", "cough"}, nil, "VALIDATION_FAILED"},
		{[]string{"头痛"}, nil, "VALIDATION_FAILED"},
		{[]string{"a", "b", "c", "d", "e", "f", "g", "h"}, nil, "VALIDATION_FAILED"},
	} {
		got, err := symptom.Clean(c.in)
		if code := apperr.As(err).Code; err != nil && code != c.code || err == nil && c.code != "" {
			t.Errorf("Clean(%q): %v, want %s", c.in, err, c.code)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("Clean(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if !symptom.Any([]string{"none", "cough"}) || symptom.Any([]string{"none"}) || symptom.Any(nil) {
		t.Error("Any")
	}
}
