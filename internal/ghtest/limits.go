package ghtest

import (
	"fmt"
	"net/http"
	"unicode/utf8"
)

// maxBody is the longest issue, pull request or comment body GitHub takes,
// in characters; longer ones it answers with 422. (The REST description
// does not say so; for a check run's summary and text it does, as
// maxLength, and the fake's schema check catches those.)
const maxBody = 65536

// tooLong answers 422 when text, the field of resource, is over max
// characters, as GitHub does, and reports whether it did.
func tooLong(w http.ResponseWriter, resource, field string, text *string, max int) bool {
	if text == nil || utf8.RuneCountInString(*text) <= max {
		return false
	}
	msg := fmt.Sprintf("%s is too long (maximum is %d characters)", field, max)
	writeJSON(w, http.StatusUnprocessableEntity, apiError{Message: "Validation Failed",
		Errors: []fieldError{{Resource: resource, Field: field, Code: "custom", Message: msg}}})
	return true
}
