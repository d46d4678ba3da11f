package store

import (
	"github.com/allmyleads/allmyleads/engine/core"
)

// Message directions and statuses: those of the contract.
const (
	DirIn  = core.DirIn
	DirOut = core.DirOut

	StatusReceived      = core.StatusReceived
	StatusQueued        = core.StatusQueued
	StatusSent          = core.StatusSent
	StatusDelivered     = core.StatusDelivered
	StatusRead          = core.StatusRead
	StatusFailed        = core.StatusFailed
	StatusNeedsTemplate = core.StatusNeedsTemplate
)

// Message is one entry of the message log (core.MessageRecord).
type Message = core.MessageRecord
