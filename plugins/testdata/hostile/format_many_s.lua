-- want: memory
-- error: string.format: the result could exceed 4 MiB
function f(ctx)
  local s, args = string.rep("x", 1024 * 1024), {}
  for i = 1, 100 do args[i] = s end
  return string.format(string.rep("%s", 100), unpack(args))
end
