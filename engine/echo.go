package engine

import "github.com/allmyleads/allmyleads/engine/core"

// echo handles a message the business typed in the WhatsApp Business app
// on the bot's number (Meta's coexistence; Inbound.Echo): the store logs
// it as the business's message, and the contact is put in a person's
// hands so the bot never talks over the owner. It opens no window and
// runs no step; the customer's next message is the person's to answer
// until they hand the contact back (or the idle timeout passes).
func (t *turn) echo() {
	t.personWrote() // never_silent.go: no acknowledgement over the owner's words
	if t.sess.Handoff {
		return
	}
	t.handoff()
	t.auditOwner(core.AuthorOwnerApp, "takeover", "wrote in the WhatsApp Business app")
}
