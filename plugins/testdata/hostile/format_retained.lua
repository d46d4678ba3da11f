-- want: memory
-- error: memory limit of 16 MiB exceeded
function f(ctx)
  local s, kept = string.rep("x", 1024 * 1024), {}
  while true do kept[#kept + 1] = string.format("%s%s%s", s, s, #kept) end
end
