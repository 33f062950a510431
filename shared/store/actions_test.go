package store_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/fangxian/fangxian/shared/store"
)

// TestEveryCallHasItsAction: the IAM actions the stack grants cover every
// call of store.DB (a transaction needs its parts' actions), so that a new
// call cannot reach the cloud without its grant.
func TestEveryCallHasItsAction(t *testing.T) {
	parts := map[string][]string{"TransactWriteItems": {"PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem"}}
	granted := append(slices.Clone(store.ReadActions), store.WriteActions...)
	db := reflect.TypeOf((*store.DB)(nil)).Elem()
	for i := 0; i < db.NumMethod(); i++ {
		call := db.Method(i).Name
		need, ok := parts[call]
		if !ok {
			need = []string{call}
		}
		for _, a := range need {
			if !slices.Contains(granted, "dynamodb:"+a) {
				t.Errorf("store.DB.%s needs dynamodb:%s, which the stack does not grant", call, a)
			}
		}
	}
}
