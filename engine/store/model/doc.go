// Package model is what every store keeps and computes the same way,
// whatever its backend: the export document (allmyleads-export/v1), the
// message log's entries and how delivery reports move them, the lead row
// the owner's console lists and its pipeline stage, when a quote is a new
// revision or a payment record, how an erasure cuts a contact out of a
// raw webhook payload, corrections and their rules, and the report types
// of erasure and retention.
//
// The bbolt store (engine/store) and the Postgres store
// (engine/store/postgres) both use it, so the two backends give the same
// answers to the conformance suite (engine/store/storetest). It imports
// engine/core and the standard library only: no backend, no sealing.
package model
