package core

import "context"

// Rights carries out a customer's data requests: the store implements it
// (engine/store), the engine calls it for MY DATA and DELETE MY DATA, and the
// owner's side calls it from the console.
type Rights interface {
	// Export returns everything held about the contact as a JSON document
	// and a file name for it.
	Export(ctx context.Context, contact string) (data []byte, filename string, err error)
	// Erase removes the contact's personal data (see the privacy policy).
	Erase(ctx context.Context, contact, actor string) error
}
