-- want: memory
-- error: memory limit of 16 MiB exceeded
-- A limit cannot be caught: the call ends even inside pcall.
function f(ctx)
  local kept = {}
  while true do
    pcall(function() kept[#kept + 1] = string.rep("x", 1024 * 1024) end)
  end
end
