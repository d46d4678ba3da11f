-- want: instructions
-- error: instruction limit of 1000000 exceeded
-- Nested lazy repetitions backtrack for minutes in an uncounted matcher.
function f(ctx)
  return string.find(string.rep("a", 5000), "(.-)(.-)(.-)(.-)(.-)b")
end
