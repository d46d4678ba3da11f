-- want: memory
-- error: memory limit of 16 MiB exceeded
-- Strings under the size limit, kept: the budget, not the size limit, stops it.
function f(ctx)
  local s, kept = string.rep("x", 1024 * 1024), {}
  while true do kept[#kept + 1] = s .. #kept end
end
