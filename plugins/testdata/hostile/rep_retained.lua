-- want: memory
-- error: memory limit of 16 MiB exceeded
function f(ctx)
  local kept = {}
  for i = 1, 1e6 do kept[i] = string.rep("x", 4 * 1024 * 1024) end
end
