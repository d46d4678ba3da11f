package engine

import (
	"fmt"

	"github.com/go-playground/validator/v10"

	"github.com/allmyleads/allmyleads/flows"
)

// validatorCache wraps the flow language's validator (validator/v10 plus the
// custom tags), which caches parsed tags and is safe for concurrent use.
type validatorCache struct{ v *validator.Validate }

func newValidatorCache() *validatorCache { return &validatorCache{v: flows.NewValidator()} }

// check validates an answer against a validate tag; a bad tag (which the
// linter reports) is an error, never a panic.
func (c *validatorCache) check(tag string, value any) (err error) {
	if tag == "" {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("validate tag %q: %v", tag, r)
		}
	}()
	return c.v.Var(value, tag)
}
