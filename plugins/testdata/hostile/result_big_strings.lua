-- want: result
-- error: more than 4 MiB of text
function f(ctx)
  local s, t = string.rep("x", 1024 * 1024), {}
  for i = 1, 100 do t[i] = s end
  return t
end
