-- want: memory
-- error: memory limit of 16 MiB exceeded
function f(ctx)
  local kept = {}
  for i = 1, 1e9 do kept[i] = function() return i end end
end
