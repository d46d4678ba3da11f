// Package core is the contract every part of AllMyLeads speaks: contact
// URNs, inbound and outbound messages, the Session, the business's records,
// the Turn a store commits, the Store, Outbox, Inbox and Rights interfaces a
// backend implements, the Extractor interface, and the Channel interface
// with the capabilities a channel declares.
//
// It is a leaf: it imports the standard library only, nothing of ours and no
// third-party module, so a channel (channels/*), a store (engine/store/*)
// and the owner's side can depend on it without compiling in the Lua host,
// the flow language or a database driver. The interpreter (package engine)
// implements the conversation; core only says what is exchanged.
package core
