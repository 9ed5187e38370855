Console.Error.WriteLine("usage: Chat.Load posts [--quick]");
return 2;
