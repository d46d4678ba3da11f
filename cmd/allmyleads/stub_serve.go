package main

// runServe is a placeholder until its issue lands; the owner of this command
// deletes this file and writes serve.go.
var runServe = notYet("serve")
