-- want: memory
-- error: memory limit of 16 MiB exceeded
function f(ctx)
  local big, kept = string.rep("b", 512 * 1024), {}
  while true do
    kept[#kept + 1] = ("abc"):gsub("%a", function(c) return big end)
  end
end
