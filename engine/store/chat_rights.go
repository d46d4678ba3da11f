package store

import (
	"context"

	"github.com/allmyleads/allmyleads/engine/core"
)

// ChatRights returns the store as the engine's Rights: the export and
// erasure a customer asks for in the chat (MY DATA, DELETE MY DATA).
func (s *Store) ChatRights() core.Rights { return chatRights{s} }

type chatRights struct{ st *Store }

var _ core.Rights = chatRights{}

// Export returns the contact's export document and its file name.
func (r chatRights) Export(ctx context.Context, contact string) ([]byte, string, error) {
	return r.st.ExportJSON(ctx, contact)
}

// Erase erases the contact's personal data.
func (r chatRights) Erase(ctx context.Context, contact, actor string) error {
	_, err := r.st.Erase(ctx, contact, actor)
	return err
}
