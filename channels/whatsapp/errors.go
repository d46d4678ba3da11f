package whatsapp

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// SendError is a failed Graph API call, classified once (in classify) so
// callers only look at the flags: retry later, pause everything because
// the token expired, or send a template because the 24-hour window closed.
type SendError struct {
	HTTPStatus int    // 0 when no response arrived
	Code       int    // the Graph API error code (0 when none)
	Subcode    int    // error_subcode
	Title      string // error type, e.g. OAuthException
	Message    string
	Details    string // error_data.details
	FBTraceID  string

	Retryable     bool // try again later (network, 5xx, rate limits)
	RateLimited   bool // a throughput limit of the number or account: slow everything down
	TokenExpired  bool // the access token is invalid or expired (190): pause sending
	NeedsTemplate bool // outside the 24-hour window (131047): only a template may go out

	Err error // the transport error, when there was no response
}

func (e *SendError) Error() string {
	switch {
	case e.Err != nil:
		return "graph api: " + e.Err.Error()
	case e.Code != 0:
		msg := fmt.Sprintf("graph api: HTTP %d: error %d", e.HTTPStatus, e.Code)
		if e.Subcode != 0 {
			msg += "/" + strconv.Itoa(e.Subcode)
		}
		if e.Message != "" {
			msg += ": " + e.Message
		}
		if e.Details != "" {
			msg += " (" + e.Details + ")"
		}
		return msg
	case e.HTTPStatus != 0:
		return fmt.Sprintf("graph api: HTTP %d: %s", e.HTTPStatus, e.Message)
	default:
		return "whatsapp: " + e.Message
	}
}

// Unwrap returns the transport error, if any.
func (e *SendError) Unwrap() error { return e.Err }

// MetricCode names the failure for metrics, from a small set: the Graph
// API error code ("131047"), else "http_<status>" when Meta answered
// without one, "network" when no answer came, "local" for a message the
// channel could not build.
func (e *SendError) MetricCode() string {
	switch {
	case e.Code != 0:
		return strconv.Itoa(e.Code)
	case e.HTTPStatus != 0:
		return "http_" + strconv.Itoa(e.HTTPStatus)
	case e.Err != nil:
		return "network"
	default:
		return "local"
	}
}

// Graph API error codes the channel treats specially. See Meta's "WhatsApp
// error codes" page.
const (
	CodeAPIUnknown          = 1      // possibly a server error: retry
	CodeAPIService          = 2      // temporary downtime: retry
	CodeTooManyCalls        = 4      // application request limit
	CodeInvalidParameter    = 100    //
	CodeAccessTokenExpired  = 190    //
	CodeAPICallRateLimit    = 613    //
	CodeRateLimitIssues     = 80007  // WhatsApp Business Account rate limit
	CodeThroughputLimit     = 130429 // Cloud API message throughput reached
	CodeSomethingWentWrong  = 131000 // unknown error: retry
	CodeServiceUnavailable  = 131016 //
	CodeUndeliverable       = 131026 //
	CodeReengagement        = 131047 // more than 24 h since the customer last replied
	CodeSpamRateLimit       = 131048 //
	CodeUnsupportedType     = 131051 //
	CodePairRateLimit       = 131056 // too many messages to one customer
	CodeServerUnavailable   = 133004 //
	codeTemplateErrorsFirst = 132000
	codeTemplateErrorsLast  = 132999
)

// classify fills in the flags of a SendError from its HTTP status and
// Graph code. This is the one place that decides what is retried.
func classify(e *SendError) *SendError {
	e.Retryable, e.RateLimited, e.TokenExpired, e.NeedsTemplate = false, false, false, false
	switch {
	case e.Err != nil && e.HTTPStatus == 0:
		e.Retryable = true // network error, timeout, broken response
	case e.Code == CodeAccessTokenExpired,
		e.Code == 0 && e.HTTPStatus == http.StatusUnauthorized:
		e.TokenExpired = true
	case e.Code == CodeThroughputLimit, e.Code == CodeRateLimitIssues,
		e.Code == CodeTooManyCalls, e.Code == CodeAPICallRateLimit:
		e.Retryable, e.RateLimited = true, true
	case e.Code == CodePairRateLimit, e.Code == CodeSpamRateLimit:
		e.Retryable = true // one customer's limit: only that contact waits
	case e.Code == CodeReengagement:
		e.NeedsTemplate = true
	case e.Code == CodeAPIUnknown, e.Code == CodeAPIService,
		e.Code == CodeSomethingWentWrong, e.Code == CodeServiceUnavailable,
		e.Code == CodeServerUnavailable:
		e.Retryable = true
	case e.Code == CodeUndeliverable, e.Code == CodeUnsupportedType, e.Code == CodeInvalidParameter,
		e.Code >= codeTemplateErrorsFirst && e.Code <= codeTemplateErrorsLast:
		// permanent
	case e.HTTPStatus == http.StatusTooManyRequests:
		e.Retryable, e.RateLimited = true, true
	case e.HTTPStatus >= 500:
		e.Retryable = true
	}
	return e
}

// localError is a message the client refuses to send (it would break Meta's
// rules) or an answer it cannot use; it is permanent.
func localError(format string, a ...any) *SendError {
	return &SendError{Message: fmt.Sprintf(format, a...)}
}

// AsSendError returns err's SendError, or a retryable one wrapping err when
// err is something else (a store error, say).
func AsSendError(err error) *SendError {
	var se *SendError
	if errors.As(err, &se) {
		return se
	}
	return classify(&SendError{Err: err})
}
