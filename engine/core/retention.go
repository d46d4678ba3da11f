package core

import (
	"context"
	"fmt"
	"time"
)

// RetentionPolicy is how long each kind of record is kept (section 7 of the
// privacy policy). A zero duration keeps that kind for ever.
type RetentionPolicy struct {
	Communications time.Duration // messages, seen ids, and media only messages refer to: 3 years
	AIRecords      time.Duration // AI processing records: 1 year
	Projects       time.Duration // after a project's completion (or last activity): 7 years
	Payments       time.Duration // paid quotes, after payment: 7 years
}

// RetentionReport counts what a retention run deleted, or would delete in
// a dry run, per category.
type RetentionReport struct {
	DryRun   bool      `json:"dry_run"`
	Now      time.Time `json:"now"`
	Messages int       `json:"messages"` // communications
	SeenIDs  int       `json:"seen_ids"` // communications
	Media    int       `json:"media"`    // photos and files nothing kept refers to any more
	AI       int       `json:"ai_records"`
	Projects int       `json:"projects"`
	Quotes   int       `json:"quotes"`   // unpaid quotes of expired projects
	Payments int       `json:"payments"` // paid quotes past the payment retention
	Contacts int       `json:"contacts"` // contacts with nothing left, with their conversation, consents and opt events
}

// String is the report in one line, for the audit log.
func (r RetentionReport) String() string {
	return fmt.Sprintf("communications: %d messages, %d seen ids, %d media; ai_records: %d; projects: %d projects, %d quotes; payments: %d; contacts: %d",
		r.Messages, r.SeenIDs, r.Media, r.AI, r.Projects, r.Quotes, r.Payments, r.Contacts)
}

// Retention deletes what is past its retention period. A store implements
// it (engine/store on bbolt, and every store that passes the conformance
// suite, engine/store/storetest); the retention command and serve's daily
// run call it.
type Retention interface {
	// RunRetention deletes what is past its retention at now under the
	// policy, or with dryRun only counts it and changes nothing. Messages
	// and seen inbound ids go after Communications (a redelivery of a
	// forgotten id is handled again), AI records after AIRecords, projects
	// with their unpaid quotes after Projects from their completion or last
	// activity, paid quotes after Payments from payment; media go with the
	// last record that refers to them, and a contact with nothing left goes
	// with its conversation, consents and opt events once it has been quiet
	// for Communications. A real run is audited with actor.
	RunRetention(ctx context.Context, p RetentionPolicy, now time.Time, dryRun bool, actor string) (RetentionReport, error)
}
