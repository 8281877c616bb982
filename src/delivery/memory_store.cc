// placeholder: implemented by the delivery work
