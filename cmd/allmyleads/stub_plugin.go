package main

// runPlugin is a placeholder until its issue lands; the owner of this command
// deletes this file and writes plugin.go.
var runPlugin = notYet("plugin")
