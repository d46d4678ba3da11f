-- want: memory
-- error: memory limit of 16 MiB exceeded
function f(ctx)
  local parts, kept = {}, {}
  for i = 1, 1000 do parts[i] = string.rep("x", 1000) end
  while true do kept[#kept + 1] = table.concat(parts, ",") end
end
