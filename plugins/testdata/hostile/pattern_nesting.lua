-- want: error
-- error: pattern too complex
function f(ctx)
  return string.match(string.rep("a", 500), string.rep("a?", 500) .. "b")
end
