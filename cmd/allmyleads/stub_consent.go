package main

// runConsent is a placeholder until its issue lands; the owner of this command
// deletes this file and writes consent.go.
var runConsent = notYet("consent")
