-- want: memory
-- error: memory limit of 16 MiB exceeded
-- A function called from Go (gsub's replacement) counts what it makes.
function f(ctx)
  local kept, s = {}, string.rep("a", 1000000)
  while true do
    s:gsub("a", function(c) kept[#kept + 1] = { c = c } end)
  end
end
