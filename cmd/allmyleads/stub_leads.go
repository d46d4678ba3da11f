package main

// runLeads is a placeholder until its issue lands; the owner of this command
// deletes this file and writes leads.go.
var runLeads = notYet("leads")
