// Package symptom is the vocabulary of symptoms a temperature report may
// name (发热, 咳嗽, 乏力, 咽痛, 腹泻, 嗅味觉减退, 无): their codes, the words
// people write them in, and the one rule that cleans a report's list. The
// daily temperature, the checks of people under watch and the SMS flow
// share it.
package symptom

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fangxian/fangxian/shared/apperr"
)

// None is the code of a report that names no symptom.
const None = "none"

// All are the symptoms, by their code and as people write them, in the
// order they are listed.
var All = []struct{ Code, Word string }{
	{"fever", "发热"}, {"cough", "咳嗽"}, {"fatigue", "乏力"}, {"sore_throat", "咽痛"},
	{"diarrhoea", "腹泻"}, {"smell_taste", "嗅味觉减退"}, {None, "无"},
}

// Of is the code of a symptom as written (its word or its code).
func Of(s string) (string, bool) {
	for _, sy := range All {
		if s == sy.Code || s == sy.Word {
			return sy.Code, true
		}
	}
	// 嗅觉减退 and 味觉减退 are how many write it.
	switch s {
	case "嗅觉减退", "味觉减退", "嗅觉", "味觉":
		return "smell_taste", true
	}
	return "", false
}

// Word is a code's word.
func Word(code string) string {
	for _, sy := range All {
		if sy.Code == code {
			return sy.Word
		}
	}
	return code
}

// Any says codes name a symptom (not only none).
func Any(codes []string) bool {
	return slices.ContainsFunc(codes, func(c string) bool { return c != None })
}

// Clean validates symptoms (codes or words) into their codes, in the
// list's order, each once; none alone, never beside a symptom; none when
// there are none.
func Clean(in []string) ([]string, error) {
	if len(in) > len(All) {
		return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "symptoms", Reason: fmt.Sprintf("at most %d", len(All))})
	}
	var codes []string
	for _, s := range in {
		c, ok := Of(strings.TrimSpace(s))
		if !ok {
			return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "symptoms", Reason: "each one of fever, cough, fatigue, sore_throat, diarrhoea, smell_taste, none"})
		}
		if !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	if slices.Contains(codes, None) && len(codes) > 1 {
		return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "symptoms", Reason: "none alone, not beside a symptom"})
	}
	if len(codes) == 0 {
		return []string{None}, nil
	}
	order := func(c string) int {
		return slices.IndexFunc(All, func(s struct{ Code, Word string }) bool { return s.Code == c })
	}
	slices.SortFunc(codes, func(a, b string) int { return order(a) - order(b) })
	return codes, nil
}
